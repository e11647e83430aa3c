"""Notes kept in whichever Redis REDIS_URL names: an attached resource, swapped by config."""

import os
import sys
from typing import NoReturn

import redis
from flask import Flask, jsonify, request


def stop(message: str) -> NoReturn:
    """Stop at start-up: print why on one line, exit 3 (gunicorn's "worker failed to boot")."""
    print(message, file=sys.stderr)
    sys.exit(3)


REDIS_URL = os.environ.get("REDIS_URL", "")
if not REDIS_URL.startswith(("redis://", "rediss://")):
    stop(f"REDIS_URL must be a redis:// URL (got {'nothing' if not REDIS_URL else 'another form'})")

store = redis.Redis.from_url(REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
app = Flask(__name__)


def json_body() -> object:
    """The request's JSON body, or None when it is missing, malformed or nested too deeply."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


@app.post("/notes")
def add_note():
    """Keep a note sent as `{"text": "..."}` and answer its number."""
    body = json_body()
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not 0 < len(text) <= 200 or not text.isprintable():
        return jsonify(
            error='send JSON like {"text": "buy milk"} (1 to 200 printable characters)'
        ), 400
    return jsonify(id=store.rpush("notes", text)), 201


@app.get("/notes")
def notes():
    """Answer every note, oldest first."""
    return jsonify(notes=[note.decode() for note in store.lrange("notes", 0, -1)])


@app.errorhandler(redis.RedisError)
def store_unavailable(error: redis.RedisError):
    """Answer 503 with a short reason, not a stack trace, while Redis cannot be reached."""
    app.logger.warning("note store unavailable: %s", type(error).__name__)
    return jsonify(error="the note store is unavailable; try again soon"), 503
