"""A price lookup that copies the whole catalogue from Redis into memory before it serves."""

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

# Warm the cache at start-up: every product, one read each, before the first request.
CATALOGUE = {
    key.removeprefix("product:"): json.loads(store.get(key))
    for key in store.scan_iter("product:*", count=1000)
}


def find_product(sku: str) -> dict | None:
    """One product, from the cache warmed at start-up."""
    return CATALOGUE.get(sku)


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
