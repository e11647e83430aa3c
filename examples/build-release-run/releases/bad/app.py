"""A greeting service: the code says how to greet, the config says who is greeting."""

import os
import sys
from typing import NoReturn

from flask import Flask, jsonify


def stop(message: str) -> NoReturn:
    """Stop at start-up: print why on one line, exit 3 (gunicorn's "worker failed to boot")."""
    print(message, file=sys.stderr)
    sys.exit(3)


SITE_NAME = os.environ.get("SITE_NAME", "").strip()
if not SITE_NAME:
    stop(f"SITE_NAME must be set to the name the greeting uses (got {SITE_NAME!r})")
RELEASE_ID = os.environ.get("RELEASE_ID", "unknown")  # set by whatever starts the process

app = Flask(__name__)


@app.get("/")
def greet():
    """Answer the greeting and the release that serves it."""
    return jsonify(greeting=f"Hello from {SITE_NAME}", release=RELEASE_ID)
