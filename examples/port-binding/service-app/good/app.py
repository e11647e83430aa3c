"""A welcome page that gets its greeting from another app, found at GREETER_URL."""

import os
import re
import sys
from typing import NoReturn

import requests
from flask import Flask, jsonify, request


def stop(message: str) -> NoReturn:
    """Stop at start-up: print why on one line, exit 3 (gunicorn's "worker failed to boot")."""
    print(message, file=sys.stderr)
    sys.exit(3)


GREETER_URL = os.environ.get("GREETER_URL", "").rstrip("/")
if not GREETER_URL.startswith(("http://", "https://")):
    stop(f"GREETER_URL must be an http:// or https:// URL (got {GREETER_URL!r})")

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")
app = Flask(__name__)


@app.get("/welcome")
def welcome():
    """Welcome `?name=Ada` with the greeting the greeting service makes."""
    name = request.args.get("name", "")
    if not NAME.fullmatch(name):
        return jsonify(error="send ?name=Ada (1 to 32 letters or digits)"), 400
    try:
        answer = requests.get(f"{GREETER_URL}/hello", params={"name": name}, timeout=2)
        answer.raise_for_status()
    except requests.RequestException as error:
        app.logger.warning("greeting service unavailable: %s", type(error).__name__)
        return jsonify(error="the greeting service is unavailable; try again soon"), 503
    return jsonify(message=f"{answer.json()['greeting']} Welcome aboard.")
