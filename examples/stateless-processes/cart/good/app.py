"""A shopping cart kept in Redis, with an expiry, so any process can serve it."""

import os
import re
import sys
import uuid
from typing import NoReturn

import redis
from flask import Flask, jsonify, request


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
CART_TTL = os.environ.get("CART_TTL_SECONDS", "1800")
if not CART_TTL.isdigit() or int(CART_TTL) == 0:
    stop(f"CART_TTL_SECONDS must be a whole number of seconds above 0 (got {CART_TTL!r})")

CART_ID = re.compile(r"[0-9a-f]{32}")
store = redis.Redis.from_url(
    REDIS_URL, socket_timeout=2, socket_connect_timeout=2, decode_responses=True
)
app = Flask(__name__)


def cart_id() -> str:
    """The visitor's cart id, from the cookie, or a new one."""
    known = request.cookies.get("cart_id", "")
    return known if CART_ID.fullmatch(known) else uuid.uuid4().hex


def json_body() -> object:
    """The request's JSON body, or None when it is missing, malformed or nested too deeply."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


@app.post("/cart/items")
def add_item():
    """Add `{"item": "..."}` to the visitor's cart and answer the whole cart."""
    body = json_body()
    item = body.get("item") if isinstance(body, dict) else None
    if not isinstance(item, str) or not 0 < len(item) <= 100 or not item.isprintable():
        return jsonify(error='send JSON like {"item": "tea"} (1 to 100 printable characters)'), 400
    visitor = cart_id()
    key = f"cart:{visitor}"
    with store.pipeline() as transaction:
        transaction.rpush(key, item)
        transaction.expire(key, int(CART_TTL))
        transaction.lrange(key, 0, -1)
        items = transaction.execute()[-1]
    response = jsonify(items=items)
    response.set_cookie("cart_id", visitor, httponly=True, samesite="Lax")
    return response, 201


@app.get("/cart")
def show_cart():
    """Answer the visitor's cart."""
    return jsonify(items=store.lrange(f"cart:{cart_id()}", 0, -1))


@app.errorhandler(redis.RedisError)
def store_unavailable(error: redis.RedisError):
    """Answer 503, not a stack trace, while Redis cannot be reached."""
    app.logger.warning("store unavailable: %s", error)
    return jsonify(error="the cart store is unavailable; try again"), 503
