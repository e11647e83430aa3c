"""Proofs for Factor IX: a worker stopped or killed in the middle of a job."""

import signal
import time

import redis
import requests

from proven import Lane, Timeline, claim
from proven.waiting import poll

EXAMPLE = "disposability/worker"
AMOUNT = 25
LEASE_SECONDS = 2


def ledger(url: str) -> dict:
    """What has been paid out and which payouts completed."""
    return requests.get(f"{url}/ledger", timeout=5).json()


def holding(store: redis.Redis, job: str) -> list[str]:
    """The Redis lists that still hold the job: the queue, or the good worker's processing list."""
    lists = ("payouts", "processing")
    return [name for name in lists if job in " ".join(store.lrange(name, 0, -1))]


def interrupt_a_payout(twin, start_app, start_worker, redis_url, interrupt, lane: Lane) -> dict:
    """Queue a payout of 25, interrupt the worker mid-job, then let a fresh worker run.

    The worker is interrupted once Redis shows the job half done: the amount is
    credited and the job is not yet completed (the worker is in its 1 s bank
    call). The proof then reads Redis again, starts a fresh worker, and waits
    until the job completes, or for a lease and a job's time more if nothing
    holds the job any longer. On `lane`: the job, kept when it completed once
    with the amount paid once; the reads of the ledger; the signal; the fresh
    worker.
    """
    env = {"REDIS_URL": redis_url, "VISIBILITY_TIMEOUT_SECONDS": str(LEASE_SECONDS)}
    store = redis.Redis.from_url(redis_url, decode_responses=True)
    web = start_app(f"{EXAMPLE}/{twin}", env=env)
    worker = start_worker(f"{EXAMPLE}/{twin}", env=env)
    job = requests.post(f"{web.url}/payouts", json={"amount": AMOUNT}, timeout=5).json()["id"]
    queued_at = time.monotonic()
    assert poll(lambda: ledger(web.url)["paid"] == AMOUNT, interval=0.02), (
        "the worker never credited"
    )
    at_signal = {**ledger(web.url), "holding": holding(store, job)}
    lane.read(f"paid {at_signal['paid']}, completed {at_signal['completed'].count(job)}")

    lane.event("SIGTERM" if interrupt is sigterm else "kill -9")
    code = interrupt(worker)
    at_exit = {**ledger(web.url), "holding": holding(store, job)}
    lane.read(f"exit {code}")
    fresh = start_worker(f"{EXAMPLE}/{twin}", env=env)
    lane.event("fresh worker")
    poll(
        lambda: job in ledger(web.url)["completed"],
        timeout=10 if holding(store, job) else LEASE_SECONDS + 2,
        interval=0.02,
    )
    store.close()
    final = ledger(web.url)
    lane.read(f"paid {final['paid']}, completed {final['completed'].count(job)}")
    once = final["completed"].count(job) == 1 and final["paid"] == AMOUNT
    lane.request("kept" if once else "lost", at=queued_at)
    return {
        "code": code,
        "job": job,
        "at signal": at_signal,
        "at exit": at_exit,
        "requeued": f"payout {job} requeued" in fresh.output(),
        "fresh worker ran it": f"payout {job} started" in fresh.output(),
        **ledger(web.url),
    }


def sigterm(worker) -> int:
    """Send SIGTERM, as a platform does on deploy or scale-in, and wait for the exit."""
    worker.send_signal(signal.SIGTERM)
    return worker.wait_exit(timeout=10)


def sigkill(worker) -> int:
    """kill -9: the process gets no chance to do anything."""
    worker.kill()
    return -signal.SIGKILL


LEGEND = {"kept": "job paid out once", "lost": "job lost half done"}
"""The worker timelines' fates, in the words of their claims."""


def half_done(run: dict) -> bool:
    """Whether the job was credited and not completed when the signal was sent."""
    return run["at signal"]["paid"] == AMOUNT and run["job"] not in run["at signal"]["completed"]


def told(run: dict) -> str:
    """One line for the claim box: what the job looked like at the signal and at the end."""
    times = run["completed"].count(run["job"])
    held = " and ".join(run["at exit"]["holding"]) or "no Redis list"
    return (
        f"signalled with {AMOUNT} credited, job not completed; exit {run['code']}; after the exit "
        f"{held} held the job; in the end paid {run['paid']}, job completed {times} time(s)"
    )


@claim(
    "worker-sigterm",
    "SIGTERM in the middle of a job: the good worker finishes it, exits 0, and the job is "
    "completed exactly once; the bad worker dies by the signal with the job half done, and "
    "nothing is left in Redis to finish it.",
)
def test_sigterm_mid_job(start_app, start_worker, redis_servers, observe):
    """Queue a payout, SIGTERM the worker once it has credited it, then start a fresh worker."""
    timeline = Timeline(LEGEND)
    bad = interrupt_a_payout(
        "bad", start_app, start_worker, redis_servers().url, sigterm, timeline.bad
    )
    good = interrupt_a_payout(
        "good", start_app, start_worker, redis_servers().url, sigterm, timeline.good
    )
    observe(bad=told(bad), good=told(good), timeline=timeline)

    assert half_done(bad) and half_done(good)
    assert bad["code"] == -signal.SIGTERM
    assert bad["at exit"] == {"paid": AMOUNT, "completed": [], "holding": []}
    assert bad["completed"] == [] and not bad["fresh worker ran it"]
    assert good["code"] == 0
    assert good["at exit"] == {"paid": AMOUNT, "completed": [good["job"]], "holding": []}
    assert good["completed"] == [good["job"]] and good["paid"] == AMOUNT


@claim(
    "worker-kill-9",
    "kill -9 in the middle of a job: with a processing list and a lease, the job goes back "
    "to the queue and, being idempotent, pays out exactly once; popped off the queue, it "
    "is lost half done.",
)
def test_kill_9_mid_job(start_app, start_worker, redis_servers, observe):
    """Queue a payout, kill -9 the worker after it credited the amount, start a fresh worker.

    The kill lands between the credit and the completion, which Redis shows; the
    fresh good worker must put the job back (its lease ran out), run it again,
    and skip the credit it already made.
    """
    timeline = Timeline(LEGEND)
    bad = interrupt_a_payout(
        "bad", start_app, start_worker, redis_servers().url, sigkill, timeline.bad
    )
    good = interrupt_a_payout(
        "good", start_app, start_worker, redis_servers().url, sigkill, timeline.good
    )
    observe(
        bad=told(bad),
        good=told(good) + ", requeued by the fresh worker" * good["requeued"],
        timeline=timeline,
    )

    assert half_done(bad) and half_done(good)
    # Killed half done: credited, not completed. Only the good design still holds the job.
    assert bad["at exit"] == {"paid": AMOUNT, "completed": [], "holding": []}
    assert good["at exit"] == {"paid": AMOUNT, "completed": [], "holding": ["processing"]}
    # Afterwards the bad job never completes; the good one is put back, run again, and
    # completed once, with the amount credited once.
    assert bad["completed"] == [] and not bad["fresh worker ran it"]
    assert good["requeued"] and good["fresh worker ran it"]
    assert good["completed"] == [good["job"]] and good["paid"] == AMOUNT
