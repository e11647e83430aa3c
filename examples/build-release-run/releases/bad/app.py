"""A greeting service: the code says how to greet, the config says who is greeting."""

import os
import sys

from flask import Flask, jsonify

SITE_NAME = os.environ.get("SITE_NAME", "").strip()
if not SITE_NAME:
    sys.exit(f"SITE_NAME must be set to the name the greeting uses (got {SITE_NAME!r})")
RELEASE_ID = os.environ.get("RELEASE_ID", "unknown")  # set by whatever starts the process

app = Flask(__name__)


@app.get("/")
def greet():
    """Answer the greeting and the release that serves it."""
    return jsonify(greeting=f"Hello from {SITE_NAME}", release=RELEASE_ID)
