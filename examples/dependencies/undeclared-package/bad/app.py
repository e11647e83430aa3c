"""Render a note written in Markdown to HTML with the Markdown package."""

import os
import sys
from typing import NoReturn

import markdown
from flask import Flask, jsonify, request


def stop(message: str) -> NoReturn:
    """Stop at start-up: print why on one line, exit 3 (gunicorn's "worker failed to boot")."""
    print(message, file=sys.stderr)
    sys.exit(3)


SITE_NAME = os.environ.get("SITE_NAME", "").strip()
if not SITE_NAME:
    stop(f"SITE_NAME must be set to the name shown above every note (got {SITE_NAME!r})")

app = Flask(__name__)


def json_body() -> object:
    """The request's JSON body, or None when it is missing, malformed or nested too deeply."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


@app.post("/render")
def render():
    """Turn `{"markdown": "..."}` into `{"site": ..., "html": ...}`."""
    body = json_body()
    text = body.get("markdown") if isinstance(body, dict) else None
    if not isinstance(text, str) or len(text) > 100_000:
        return jsonify(error='send JSON like {"markdown": "# Title"} (at most 100 kB)'), 400
    return jsonify(site=SITE_NAME, html=markdown.markdown(text))
