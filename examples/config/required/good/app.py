"""A guestbook that reads and checks all of its config at start-up, and stops if it is wrong."""

import os
import re
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
SIZE = os.environ.get("GUESTBOOK_SIZE", "100")
if not SIZE.isdigit() or int(SIZE) < 1:
    stop(f"GUESTBOOK_SIZE must be a whole number of names, 1 or more (got {SIZE!r})")
GUESTBOOK_SIZE = int(SIZE)

NAME = re.compile(r"[A-Za-z][A-Za-z0-9 _-]{0,31}")
store = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
app = Flask(__name__)


def json_body() -> object:
    """The request's JSON body, or None when it is missing, malformed or nested too deeply."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


@app.post("/entries")
def sign():
    """Sign the guestbook as `{"name": "..."}`; it keeps the latest GUESTBOOK_SIZE names."""
    body = json_body()
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not NAME.fullmatch(name):
        return jsonify(error='send JSON like {"name": "Ada"} (1 to 32 letters or digits)'), 400
    store.lpush("entries", name)
    store.ltrim("entries", 0, GUESTBOOK_SIZE - 1)
    return jsonify(name=name), 201


@app.get("/entries")
def entries():
    """Answer the names in the guestbook, newest first."""
    return jsonify(entries=[name.decode() for name in store.lrange("entries", 0, -1)])


@app.errorhandler(redis.RedisError)
def store_unavailable(error: redis.RedisError):
    """Answer 503, not a stack trace, while Redis cannot be reached."""
    app.logger.warning("store unavailable: %s", type(error).__name__)
    return jsonify(error="the guestbook store is unavailable; try again"), 503
