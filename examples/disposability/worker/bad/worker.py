"""Pays out queued payouts; loses the one in hand when it is stopped or killed."""

import json
import os
import sys
import time
from typing import NoReturn

import redis


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

BANK_CALL_SECONDS = 1.0
store = redis.Redis.from_url(REDIS_URL, decode_responses=True)


def take() -> dict | None:
    """Pop the next job off the queue: from now on it exists only in this process."""
    taken = store.brpop(["payouts"], timeout=1)
    return json.loads(taken[1]) if taken else None


def pay(job: dict) -> None:
    """Credit the amount, tell the bank, then mark the job complete."""
    store.incrby("paid", job["amount"])
    time.sleep(BANK_CALL_SECONDS)  # the slow call to the bank's API
    store.rpush("completed", job["id"])


if __name__ == "__main__":
    print(f"worker ready (pid {os.getpid()})", flush=True)
    while True:
        job = take()
        if job:
            print(f"payout {job['id']} started", flush=True)
            pay(job)
            print(f"payout {job['id']} completed", flush=True)
