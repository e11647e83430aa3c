"""A sign-in kept in Flask's signed-cookie session, with the signing key from config."""

import os
import re
import sys
from typing import NoReturn

from flask import Flask, jsonify, request, session


def stop(message: str) -> NoReturn:
    """Stop at start-up: print why on one line, exit 3 (gunicorn's "worker failed to boot")."""
    print(message, file=sys.stderr)
    sys.exit(3)


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 32:
    stop("SECRET_KEY must be set to a random string of at least 32 characters")

USER_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
app = Flask(__name__)
app.secret_key = SECRET_KEY


def json_body() -> object:
    """The request's JSON body, or None when it is missing, malformed or nested too deeply."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


@app.post("/login")
def login():
    """Sign in as `{"user": "..."}`: the name is kept in a signed cookie."""
    body = json_body()
    user = body.get("user") if isinstance(body, dict) else None
    if not isinstance(user, str) or not USER_NAME.fullmatch(user):
        return jsonify(error='send JSON like {"user": "ada"} (lowercase, 1 to 32 characters)'), 400
    session["user"] = user
    return jsonify(user=user)


@app.get("/me")
def me():
    """Answer who is signed in, from the cookie alone."""
    if "user" not in session:
        return jsonify(error="not signed in"), 401
    return jsonify(user=session["user"])
