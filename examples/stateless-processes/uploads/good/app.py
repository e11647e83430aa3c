"""File uploads stored in Redis, a backing service every process can reach."""

import os
import re
import sys
from typing import NoReturn

import redis
from flask import Flask, Response, jsonify, request


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

FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
store = redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024


def bad_name():
    """The answer to a file name that could escape its folder or is too long."""
    return jsonify(error="a file name is 1 to 100 letters, digits, '.', '_' or '-'"), 400


@app.put("/files/<name>")
def upload(name: str):
    """Store the request body as the file `name`."""
    if not FILE_NAME.fullmatch(name):
        return bad_name()
    data = request.get_data()
    store.set(f"file:{name}", data)
    return jsonify(name=name, size=len(data)), 201


@app.get("/files/<name>")
def download(name: str):
    """Answer the stored file `name`."""
    if not FILE_NAME.fullmatch(name):
        return bad_name()
    data = store.get(f"file:{name}")
    if data is None:
        return jsonify(error=f"no file named {name}"), 404
    return Response(data, mimetype="application/octet-stream")


@app.errorhandler(redis.RedisError)
def store_unavailable(error: redis.RedisError):
    """Answer 503, not a stack trace, while Redis cannot be reached."""
    app.logger.warning("store unavailable: %s", error)
    return jsonify(error="the file store is unavailable; try again"), 503
