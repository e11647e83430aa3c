"""Reports that take a while to render, served by gunicorn, which drains on SIGTERM."""

import itertools
import time

from flask import Flask, jsonify

RENDER_SECONDS = 2.5
app = Flask(__name__)
numbers = itertools.count(1)


@app.post("/reports")
def render_report():
    """Render a report: the request takes RENDER_SECONDS (waiting on a slow database, say)."""
    number = next(numbers)
    print(f"rendering report {number}", flush=True)
    time.sleep(RENDER_SECONDS)
    return jsonify(report=number, status="rendered")
