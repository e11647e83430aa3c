"""Reports that take a while to render, served by waitress, which has no graceful drain."""

import itertools
import logging
import os
import time

from flask import Flask, jsonify
from waitress import serve

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


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    serve(app, host="127.0.0.1", port=int(os.environ["PORT"]), threads=8)
