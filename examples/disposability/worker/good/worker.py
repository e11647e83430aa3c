"""Pays out queued payouts; safe to stop with SIGTERM or to kill at any moment."""

import json
import os
import signal
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
VISIBILITY = os.environ.get("VISIBILITY_TIMEOUT_SECONDS", "30")
if not VISIBILITY.isdigit() or int(VISIBILITY) == 0:
    stop(f"VISIBILITY_TIMEOUT_SECONDS must be a whole number above 0 (got {VISIBILITY!r})")

BANK_CALL_SECONDS = 1.0
store = redis.Redis.from_url(REDIS_URL, decode_responses=True)
# Credit once per job id: the check and the credit are one atomic step in Redis.
credit_once = store.register_script(
    "if redis.call('set', KEYS[1], 1, 'NX') then redis.call('incrby', KEYS[2], ARGV[1]) end"
)
stopping = False


def on_sigterm(signum: int, frame: object) -> None:
    """On SIGTERM, finish the payout in hand, then exit."""
    global stopping
    stopping = True


def take() -> dict | None:
    """Move the next job to the processing list (it stays in Redis) and lease it."""
    raw = store.blmove("payouts", "processing", timeout=1, src="RIGHT", dest="LEFT")
    if raw is None:
        return None
    job = json.loads(raw)
    store.set(f"lease:{job['id']}", raw, ex=int(VISIBILITY))
    return job | {"raw": raw}


def requeue_expired() -> None:
    """Put back the jobs in processing that hold no lease.

    Their worker died or overran the lease; with several workers, a job may
    also be one another worker has just moved and not yet leased.
    """
    for raw in store.lrange("processing", 0, -1):
        job = json.loads(raw)
        if not store.exists(f"lease:{job['id']}") and store.lrem("processing", 1, raw):
            store.rpush("payouts", raw)
            print(f"payout {job['id']} requeued", flush=True)


def pay(job: dict) -> None:
    """Credit the amount once per job id, tell the bank, then mark the job complete."""
    credit_once(keys=[f"credited:{job['id']}", "paid"], args=[job["amount"]])
    time.sleep(BANK_CALL_SECONDS)  # the slow call to the bank's API
    with store.pipeline() as done:
        done.rpush("completed", job["id"]).lrem("processing", 1, job["raw"])
        done.delete(f"lease:{job['id']}").execute()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_sigterm)
    print(f"worker ready (pid {os.getpid()})", flush=True)
    while not stopping:
        requeue_expired()
        job = take()
        if job:
            print(f"payout {job['id']} started", flush=True)
            pay(job)
            print(f"payout {job['id']} completed", flush=True)
    print("worker stopped", flush=True)
