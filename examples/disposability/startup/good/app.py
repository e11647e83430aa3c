"""A price lookup that reads the catalogue from Redis when asked: ready as soon as it starts."""

import json
import os
import re
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

SKU = re.compile(r"[A-Z0-9-]{1,32}")
store = redis.Redis.from_url(REDIS_URL, decode_responses=True)
app = Flask(__name__)


def find_product(sku: str) -> dict | None:
    """One product, read from Redis on demand."""
    found = store.get(f"product:{sku}")
    return json.loads(found) if found else None


@app.get("/products/<sku>")
def product(sku: str):
    """Answer one product's name and price."""
    if not SKU.fullmatch(sku):
        return jsonify(error="a SKU is 1 to 32 capital letters, digits or dashes"), 400
    found = find_product(sku)
    if found is None:
        return jsonify(error="no such product"), 404
    return jsonify(sku=sku, **found)


@app.errorhandler(redis.RedisError)
def store_unavailable(error: redis.RedisError):
    """Answer 503, not a stack trace, while Redis cannot be reached."""
    app.logger.warning("catalogue unavailable: %s", error)
    return jsonify(error="the catalogue is unavailable; try again"), 503
