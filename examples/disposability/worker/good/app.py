"""Payouts: the web process queues them in Redis; worker.py pays them out."""

import json
import os
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

store = redis.Redis.from_url(REDIS_URL, decode_responses=True)
app = Flask(__name__)


def json_body() -> object:
    """The request's JSON body, or None when it is missing, malformed or nested too deeply."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


@app.post("/payouts")
def queue_payout():
    """Queue `{"amount": 25}` for the worker; answer the job id at once."""
    body = json_body()
    amount = body.get("amount") if isinstance(body, dict) else None
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= 10_000:
        return jsonify(error='send JSON like {"amount": 25} (a whole number, 1 to 10000)'), 400
    job = {"id": uuid.uuid4().hex, "amount": amount}
    store.lpush("payouts", json.dumps(job))
    return jsonify(id=job["id"]), 202


@app.get("/ledger")
def ledger():
    """Answer the total paid out and the payouts whose job completed, in order."""
    return jsonify(paid=int(store.get("paid") or 0), completed=store.lrange("completed", 0, -1))


@app.errorhandler(redis.RedisError)
def store_unavailable(error: redis.RedisError):
    """Answer 503, not a stack trace, while Redis cannot be reached."""
    app.logger.warning("queue unavailable: %s", error)
    return jsonify(error="the payout queue is unavailable; try again"), 503
