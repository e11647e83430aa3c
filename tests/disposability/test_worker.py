"""Proofs for Factor IX: a worker stopped or killed in the middle of a job."""

import signal
import time

import redis
import requests

from harness import claim

EXAMPLE = "disposability/worker"


def ledger(url: str) -> dict:
    """What has been paid out and which payouts completed."""
    return requests.get(f"{url}/ledger", timeout=5).json()


def interrupt_a_payout(twin, start_app, start_worker, redis_url, interrupt) -> dict:
    """Queue a payout of 25, interrupt the worker mid-job, then let a fresh worker run.

    Returns the interrupted worker's exit code, the job id and the ledger once the
    fresh worker has finished the job, or at once if no copy of the job is left in Redis.
    """
    env = {"REDIS_URL": redis_url, "VISIBILITY_TIMEOUT_SECONDS": "2"}
    web = start_app(f"{EXAMPLE}/{twin}", env=env)
    worker = start_worker(f"{EXAMPLE}/{twin}", env=env)
    answer = requests.post(f"{web.url}/payouts", json={"amount": 25}, timeout=5)
    job = answer.json()["id"]
    worker.wait_for_output(f"payout {job} started")

    code = interrupt(worker)
    start_worker(f"{EXAMPLE}/{twin}", env=env)
    store = redis.Redis.from_url(redis_url, decode_responses=True)
    queued = " ".join(store.lrange("payouts", 0, -1) + store.lrange("processing", 0, -1))
    deadline = time.monotonic() + 10
    while job in queued and job not in ledger(web.url)["completed"] and time.monotonic() < deadline:
        time.sleep(0.05)
    return {"code": code, "job": job, **ledger(web.url)}


def sigterm(worker) -> int:
    """Send SIGTERM, as a platform does on deploy or scale-in, and wait for the exit."""
    worker.send_signal(signal.SIGTERM)
    return worker.wait_exit(timeout=10)


def sigkill(worker) -> int:
    """kill -9: the process gets no chance to do anything."""
    worker.kill()
    return -signal.SIGKILL


@claim(
    "worker-sigterm",
    "SIGTERM in the middle of a job: the good worker finishes it, exits 0, and the job is "
    "completed exactly once; the bad worker dies at once and the job is lost for good.",
)
def test_sigterm_mid_job(start_app, start_worker, redis_servers):
    """Queue a payout, SIGTERM the worker once it has started it, then start a fresh worker."""
    bad = interrupt_a_payout("bad", start_app, start_worker, redis_servers().url, sigterm)
    good = interrupt_a_payout("good", start_app, start_worker, redis_servers().url, sigterm)

    assert bad["code"] == -signal.SIGTERM
    assert bad["completed"] == []
    assert good["code"] == 0
    assert good["completed"] == [good["job"]]
    assert good["paid"] == 25


@claim(
    "worker-kill-9",
    "kill -9 in the middle of a job: with a processing list and a lease, the job goes back "
    "to the queue and, being idempotent, pays out exactly once; popped off the queue, it "
    "is lost half done.",
)
def test_kill_9_mid_job(start_app, start_worker, redis_servers):
    """Queue a payout, kill -9 the worker after it credited the amount, start a fresh worker."""
    bad = interrupt_a_payout("bad", start_app, start_worker, redis_servers().url, sigkill)
    good = interrupt_a_payout("good", start_app, start_worker, redis_servers().url, sigkill)

    assert bad["completed"] == []
    assert good["completed"] == [good["job"]]
    assert good["paid"] == 25
