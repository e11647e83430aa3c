"""The worker process type: takes jobs from Redis one at a time; run as many as you need."""

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

store = redis.Redis.from_url(REDIS_URL, decode_responses=True)
stopping = False


def on_sigterm(signum: int, frame: object) -> None:
    """On SIGTERM, finish the job in hand, then exit."""
    global stopping
    stopping = True


def run(job: dict) -> None:
    """Do the job: wait on I/O for `seconds`, then record who did it."""
    time.sleep(job["seconds"])
    store.hset(f"job:{job['id']}", mapping={"status": "done", "done_by": os.getpid()})


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_sigterm)
    print(f"worker ready (pid {os.getpid()})", flush=True)
    while not stopping:
        taken = store.brpop(["jobs"], timeout=1)
        if taken:
            run(json.loads(taken[1]))
    print("worker stopped", flush=True)
