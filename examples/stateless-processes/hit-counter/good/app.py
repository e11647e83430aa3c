"""A hit counter that keeps its count in Redis, outside the process."""

import os
import sys
from typing import NoReturn

import redis
from flask import Flask, jsonify


def stop(message: str) -> NoReturn:
    """Stop at start-up: print why on one line, exit 3 (gunicorn's "worker failed to boot")."""
    print(message, file=sys.stderr)
    sys.exit(3)


REDIS_URL = os.environ.get("REDIS_URL", "")
if not REDIS_URL.startswith(("redis://", "rediss://")):
    stop(
        "REDIS_URL must be set to a redis:// URL "
        f"(got {'nothing' if not REDIS_URL else 'another form'})"
    )

store = redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
app = Flask(__name__)


@app.post("/hits")
def record_hit():
    """Count one hit and answer the new total."""
    return jsonify(hits=store.incr("hits"))


@app.get("/hits")
def read_hits():
    """Answer the total without counting."""
    return jsonify(hits=int(store.get("hits") or 0))


@app.errorhandler(redis.RedisError)
def store_unavailable(error: redis.RedisError):
    """Answer 503, not a stack trace, while Redis cannot be reached."""
    app.logger.warning("store unavailable: %s", error)
    return jsonify(error="the counter store is unavailable; try again"), 503
