"""A guestbook that signs in to Redis as the user, with the token, the platform keeps in a file.

REDIS_URL names the server only (host, port, database). Who the app is at Redis and
the token that proves it are read from the file REDIS_IDENTITY_FILE names, each time
a connection opens, so a token the platform replaces is used without a restart.
"""

import json
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
    """Stop at start-up: print why on one line, exit 3 (gunicorn's "worker failed to boot")."""
    print(message, file=sys.stderr)
    sys.exit(3)


def read_identity(path: str) -> tuple[str, str]:
    """The user and token the identity file holds: `{"user": "guestbook", "token": "..."}`."""
    with open(path) as file:
        identity = json.load(file)
    user = identity.get("user") if isinstance(identity, dict) else None
    token = identity.get("token") if isinstance(identity, dict) else None
    if not (isinstance(user, str) and user and isinstance(token, str) and token):
        raise ValueError('it must hold {"user": "...", "token": "..."}')
    return user, token


REDIS_URL = os.environ.get("REDIS_URL", "")
if not REDIS_URL.startswith(("redis://", "rediss://")):
    stop(f"REDIS_URL must be a redis:// URL (got {'nothing' if not REDIS_URL else 'another form'})")
IDENTITY_FILE = os.environ.get("REDIS_IDENTITY_FILE", "")
try:
    read_identity(IDENTITY_FILE)
except (OSError, ValueError):
    stop(
        "REDIS_IDENTITY_FILE must name a readable file holding "
        f'{{"user": "...", "token": "..."}} (got {IDENTITY_FILE!r})'
    )
RECONNECT = Retry(NoBackoff(), 1)  # one more try when Redis closes a connection mid-command


class IdentityFile(redis.CredentialProvider):
    """The app's Redis user and token, as the file holds them when a connection opens."""

    def __init__(self, path: str) -> None:
        self.path = path

    def get_credentials(self) -> tuple[str, str]:
        try:
            return read_identity(self.path)
        except (OSError, ValueError) as error:
            raise redis.ConnectionError(f"cannot read the identity file: {error}") from None


server = parse_url(REDIS_URL)  # host, port and database: credentials come from the file alone
server.pop("username", None), server.pop("password", None)
store = redis.Redis(
    connection_pool=redis.ConnectionPool(
        **server,
        credential_provider=IdentityFile(IDENTITY_FILE),
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
