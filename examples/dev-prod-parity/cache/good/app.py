"""Counts primes and caches the answers in Redis, in development as in production."""

import math
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
    stop(
        "REDIS_URL must be set to a redis:// URL "
        f"(got {'nothing' if not REDIS_URL else 'another form'})"
    )
CACHE_SECONDS = 300

cache = redis.Redis.from_url(REDIS_URL)
app = Flask(__name__)


def count_primes(below: int) -> int:
    """The slow part worth caching: a sieve of Eratosthenes."""
    if below < 3:
        return 0
    sieve = bytearray([1]) * below
    sieve[0] = sieve[1] = 0
    for n in range(2, math.isqrt(below - 1) + 1):
        if sieve[n]:
            sieve[n * n :: n] = bytes(len(range(n * n, below, n)))
    return sum(sieve)


@app.get("/primes")
def primes():
    """How many primes there are below `below`, and whether the answer came from the cache."""
    below = request.args.get("below", "")
    if not below.isdigit() or int(below) > 10_000_000:
        return jsonify(error="below must be a whole number up to 10000000"), 400
    key = f"primes:{below}"
    count = cache.get(key)
    if count is not None:
        return jsonify(below=int(below), primes=int(count), cached=True)
    count = count_primes(int(below))
    cache.set(key, count, ex=CACHE_SECONDS)
    return jsonify(below=int(below), primes=count, cached=False)


@app.errorhandler(redis.RedisError)
def cache_unavailable(error: redis.RedisError):
    """Answer 503, not a stack trace, while Redis cannot be reached."""
    app.logger.warning("cache unavailable: %s", error)
    return jsonify(error="the cache is unavailable; try again"), 503
