"""A hit counter that keeps its count in a variable of the process."""

from flask import Flask, jsonify

hits = 0
app = Flask(__name__)


@app.post("/hits")
def record_hit():
    """Count one hit and answer the new total."""
    global hits
    hits += 1
    return jsonify(hits=hits)


@app.get("/hits")
def read_hits():
    """Answer the total without counting."""
    return jsonify(hits=hits)
