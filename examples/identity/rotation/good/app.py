"""A guestbook that signs in to Redis with the short-lived token the platform keeps in a file."""

import os
import re
import sys
from typing import NoReturn

import redis
from flask import Flask, jsonify, request
from redis.backoff import NoBackoff
from redis.connection import parse_url
from redis.retry import Retry


def stop(message: str) -> NoReturn:
    """Stop at start-up: print why, on one line, and exit with status 3.

    3 is gunicorn's "worker failed to boot": a worker that exits 3 makes the master
    stop too, where one that exits 1, as `sys.exit("...")` does, is forked again, forever.
    """
    print(message, file=sys.stderr)
    sys.exit(3)


REDIS_URL = os.environ.get("REDIS_URL", "")
if not REDIS_URL.startswith(("redis://", "rediss://")):
    stop(f"REDIS_URL must be a redis:// URL (got {'nothing' if not REDIS_URL else 'another form'})")
IDENTITY_FILE = os.environ.get("REDIS_IDENTITY_FILE", "")
if not os.path.isfile(IDENTITY_FILE):
    stop(f"REDIS_IDENTITY_FILE must name the file that holds the token (got {IDENTITY_FILE!r})")
RECONNECT = Retry(NoBackoff(), 1)  # one more try when Redis closes a connection mid-command


class TokenFile(redis.CredentialProvider):
    """The app's Redis user, with the token the file holds at the moment a connection opens."""

    def __init__(self, user: str, path: str) -> None:
        self.user, self.path = user, path

    def get_credentials(self) -> tuple[str, str]:
        try:
            with open(self.path) as file:
                return self.user, file.read().strip()
        except OSError as error:
            raise redis.ConnectionError(f"cannot read the token: {error.strerror}") from None


where = parse_url(REDIS_URL)  # host, port, database and user; a password in it is never used
user = where.pop("username", None) or "default"
where.pop("password", None)
store = redis.Redis(
    connection_pool=redis.ConnectionPool(
        **where,
        credential_provider=TokenFile(user, IDENTITY_FILE),
        socket_timeout=2,
        socket_connect_timeout=2,
        retry=RECONNECT,
    )
)
NAME = re.compile(r"[A-Za-z][A-Za-z0-9 _-]{0,31}")
app = Flask(__name__)


def json_body() -> object:
    """The request's JSON body, or None when it is missing, malformed or nested too deeply."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


@app.post("/entries")
def sign():
    """Sign the guestbook as `{"name": "..."}`."""
    body = json_body()
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not NAME.fullmatch(name):
        return jsonify(error='send JSON like {"name": "Ada"} (1 to 32 letters or digits)'), 400
    store.rpush("entries", name)
    return jsonify(name=name), 201


@app.get("/entries")
def entries():
    """Answer every name in the guestbook, oldest first."""
    return jsonify(entries=[name.decode() for name in store.lrange("entries", 0, -1)])


@app.errorhandler(redis.RedisError)
def store_unavailable(error: redis.RedisError):
    """Answer 503, not a stack trace, while Redis cannot be reached or refuses the app."""
    app.logger.warning("store unavailable: %s", type(error).__name__)
    return jsonify(error="the guestbook store is unavailable; try again"), 503
