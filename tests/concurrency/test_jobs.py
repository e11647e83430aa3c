"""Proofs for Factor VIII: process types run from a Procfile, and scaling out by type."""

import re
import time

import pytest
import redis
import requests

from proven import claim
from proven.managers import parent_pid
from proven.waiting import poll, wait_for

EXAMPLE = "concurrency/jobs"


def submit(url: str, count: int, seconds: float) -> list[str]:
    """Queue `count` jobs that each wait on I/O for `seconds`; return their ids."""
    ids = []
    for _ in range(count):
        answer = requests.post(f"{url}/jobs", json={"seconds": seconds}, timeout=5)
        assert answer.status_code == 202, answer.text
        ids.append(answer.json()["id"])
    return ids


def finished(url: str, ids: list[str]) -> list[dict]:
    """The jobs that are done, as the web process reports them."""
    jobs = [requests.get(f"{url}/jobs/{i}", timeout=5).json() for i in ids]
    return [job for job in jobs if job.get("status") == "done"]


def run_all(url: str, count: int, seconds: float, timeout: float = 30.0) -> tuple[float, set]:
    """Queue jobs, wait until all are done: the wall time and the pids that ran them."""
    began = time.monotonic()
    ids = submit(url, count, seconds)
    done = wait_for(lambda: len(finished(url, ids)) == count and finished(url, ids), timeout)
    return time.monotonic() - began, {job["done_by"] for job in done}


def watch(url: str, ids: list[str], window: float, until_all_done: bool) -> tuple[set, float]:
    """Watch jobs for `window` seconds, or until all are done if `until_all_done`: the ids
    done by then, and how long it watched."""
    began = time.monotonic()
    done: set[str] = set()

    def settled() -> bool:
        done.clear()
        done.update(job["id"] for job in finished(url, ids))
        return until_all_done and done == set(ids)

    poll(settled, timeout=window)
    return done, time.monotonic() - began


def started_by_honcho(formation, pid: int) -> str:
    """The name honcho gave the process (`worker.2`, `web.1`) that `pid` runs inside of."""
    names = {
        int(p): name
        for name, p in re.findall(r"(\w+\.\d+) started \(pid=(\d+)\)", formation.output())
    }
    while pid > 1:
        if pid in names:
            return names[pid]
        pid = parent_pid(pid) or 0
    raise AssertionError(f"pid {pid} is not inside any process honcho started")


@claim(
    "process-types",
    "The app declares its process types in a Procfile, and a process manager runs them at "
    "the formation it is given: with web=1,worker=3, three separate worker processes share "
    "the jobs; work done in a thread of the web process has no type to scale, and runs in "
    "the web process whatever the formation says.",
)
def test_procfile_formation_runs_three_workers(start_formation, redis_url, observe):
    """Run each twin's Procfile with honcho at `web=1,worker=3`, queue 6 jobs, see who ran them.

    Each job records the pid that ran it; the proof walks up from that pid to
    the process honcho started, and names its type.
    """
    ran_in = {}
    for twin in ("bad", "good"):
        formation = start_formation(
            f"{EXAMPLE}/{twin}", "web=1,worker=3", env={"REDIS_URL": redis_url}
        )
        _, pids = run_all(formation.url, 6, 0.2)
        ran_in[twin] = sorted({started_by_honcho(formation, int(pid)) for pid in pids})
        ran_in[twin + " started"] = sorted(formation.started("worker"))
    observe(
        bad=f"honcho started workers {ran_in['bad started']}; 6 jobs ran in {ran_in['bad']}",
        good=f"honcho started workers {ran_in['good started']}; 6 jobs ran in {ran_in['good']}",
    )

    assert ran_in["bad started"] == [] and ran_in["bad"] == ["web.1"]
    assert ran_in["good started"] == ["worker.1", "worker.2", "worker.3"]
    assert ran_in["good"] == ["worker.1", "worker.2", "worker.3"]


@claim(
    "scale-out-throughput",
    "With I/O-bound jobs on a Redis queue, going from 1 to 3 worker processes makes job "
    "throughput at least twice as high (three times is the ideal); the thread in the web "
    "process gains less than 1.5 times from the same change.",
)
@pytest.mark.alone  # compares the timings of two runs: no other test runs meanwhile
def test_three_workers_finish_jobs_about_three_times_faster(start_formation, redis_url, observe):
    """Time 9 jobs of 0.3 s at `worker=1` and at `worker=3`, for each twin, and compare.

    Both times of a twin are measured in the same run on the same machine; the
    proof asserts their ratio, never a number of seconds.
    """
    times = {}
    for twin in ("bad", "good"):
        for workers in (1, 3):
            formation = start_formation(
                f"{EXAMPLE}/{twin}", f"web=1,worker={workers}", env={"REDIS_URL": redis_url}
            )
            times[twin, workers], _ = run_all(formation.url, 9, 0.3)
            formation.close()
    speedups = {twin: times[twin, 1] / times[twin, 3] for twin in ("bad", "good")}

    def told(twin: str) -> str:
        return (
            f"9 jobs of 0.3 s took {times[twin, 1]:.1f} s at worker=1 and {times[twin, 3]:.1f} s "
            f"at worker=3: {speedups[twin]:.1f} times the throughput"
        )

    observe(bad=told("bad"), good=told("good"))

    assert speedups["bad"] < 1.5
    assert speedups["good"] >= 2


@claim(
    "jobs-survive-web-restart",
    "Jobs queued in a thread of the web process and not yet run when the formation restarts "
    "are lost: none of them is done in the seconds after the restart (as long as the good "
    "twin needed, and at least as long as one worker needs for all six); jobs on a Redis "
    "queue survive the restart of the whole formation and are all done afterwards.",
)
def test_queued_jobs_survive_a_restart(start_formation, redis_url, observe):
    """Queue 6 jobs of 0.3 s, restart the formation (as a deploy does), and wait for the jobs.

    The proof notes which jobs were not done when the formation stopped, then
    watches those jobs after the restart: the good twin until all are done, the
    bad twin for as long as the good twin needed, and at least the time one
    worker needs for all six.
    """
    seen = {}
    waited_for_good = 0.0
    for twin in ("good", "bad"):
        env = {"REDIS_URL": redis_url}
        formation = start_formation(f"{EXAMPLE}/{twin}", "web=1,worker=1", env=env)
        ids = submit(formation.url, 6, 0.3)
        formation.close()
        with redis.Redis.from_url(redis_url, decode_responses=True) as store:
            pending = [i for i in ids if store.hget(f"job:{i}", "status") != "done"]

        formation = start_formation(f"{EXAMPLE}/{twin}", "web=1,worker=1", env=env)
        # One worker runs the six jobs in 1.8 s: the good twin gets over five times that.
        window = 10.0 if twin == "good" else max(waited_for_good, 6 * 0.3 + 1)
        done_after, waited = watch(formation.url, pending, window, until_all_done=twin == "good")
        waited_for_good = max(waited_for_good, waited)
        seen[twin] = pending, done_after, waited

    def told(twin: str) -> str:
        pending, done_after, waited = seen[twin]
        return (
            f"{len(pending)} of 6 jobs not yet done when the formation stopped; "
            f"{len(done_after)} of them done in the {waited:.1f} s after the restart"
        )

    observe(bad=told("bad"), good=told("good"))

    for pending, _, _ in seen.values():
        assert pending, "every job was done before the restart: nothing left to lose"
    assert seen["bad"][1] == set()
    assert seen["good"][1] == set(seen["good"][0])
