"""Proofs for Factor VIII: process types run from a Procfile, and scaling out by type."""

import time

import requests

from harness import claim

EXAMPLE = "concurrency/jobs"


def wait_for(condition, timeout: float = 30.0):
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError(f"not done after {timeout} s")


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


@claim(
    "process-types",
    "The app declares its process types in a Procfile, and a process manager runs them at "
    "any formation: with web=1,worker=3, three separate worker processes share the jobs; "
    "work done in a thread of the web process has no type to scale.",
)
def test_procfile_formation_runs_three_workers(start_formation, redis_url):
    """Run each twin's Procfile with honcho at `web=1,worker=3`, queue 6 jobs, see who ran them."""
    bad = start_formation(f"{EXAMPLE}/bad", "web=1,worker=3", env={"REDIS_URL": redis_url})
    good = start_formation(f"{EXAMPLE}/good", "web=1,worker=3", env={"REDIS_URL": redis_url})

    _, bad_pids = run_all(bad.url, 6, 0.2)
    _, good_pids = run_all(good.url, 6, 0.2)

    assert bad.started("worker") == []
    assert len(bad_pids) == 1
    assert sorted(good.started("worker")) == ["worker.1", "worker.2", "worker.3"]
    assert len(good_pids) == 3


@claim(
    "scale-out-throughput",
    "With I/O-bound jobs on a Redis queue, going from 1 to 3 worker processes makes job "
    "throughput close to three times higher (at least twice); the thread in the web process "
    "does not speed up at all.",
)
def test_three_workers_finish_jobs_about_three_times_faster(start_formation, redis_url):
    """Time 9 jobs of 0.3 s at `worker=1` and at `worker=3`, for each twin, and compare."""
    speedups = {}
    for twin in ("bad", "good"):
        times = {}
        for workers in (1, 3):
            formation = start_formation(
                f"{EXAMPLE}/{twin}", f"web=1,worker={workers}", env={"REDIS_URL": redis_url}
            )
            times[workers], _ = run_all(formation.url, 9, 0.3)
            formation.close()
        speedups[twin] = times[1] / times[3]
        print(f"{twin}: 1 worker {times[1]:.2f} s, 3 workers {times[3]:.2f} s")

    assert speedups["bad"] < 1.5
    assert speedups["good"] >= 2


@claim(
    "jobs-survive-web-restart",
    "Jobs queued in a thread of the web process vanish when that process restarts; jobs on a "
    "Redis queue survive the restart of the whole formation and are all done afterwards.",
)
def test_queued_jobs_survive_a_restart(start_formation, redis_url):
    """Queue 6 jobs of 0.3 s, restart the formation (as a deploy does), and wait for the jobs."""
    outcome = {}
    for twin in ("good", "bad"):
        env = {"REDIS_URL": redis_url}
        formation = start_formation(f"{EXAMPLE}/{twin}", "web=1,worker=1", env=env)
        ids = submit(formation.url, 6, 0.3)
        formation.close()

        formation = start_formation(f"{EXAMPLE}/{twin}", "web=1,worker=1", env=env)
        waited = time.monotonic()
        while len(finished(formation.url, ids)) < 6 and time.monotonic() - waited < 6 * 0.3 + 1:
            time.sleep(0.05)
        outcome[twin] = len(finished(formation.url, ids))

    assert outcome["bad"] <= 1
    assert outcome["good"] == 6
