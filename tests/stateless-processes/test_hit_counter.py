"""Proofs for the hit counter: a count in process memory vs a count in Redis."""

import requests

from harness import claim, crash_under_traffic

EXAMPLE = "stateless-processes/hit-counter"


def post_hits(url: str, times: int) -> list[int]:
    """Send `times` hits and return the totals the app answered."""
    return [requests.post(f"{url}/hits", timeout=5).json()["hits"] for _ in range(times)]


@claim(
    "counter-restart",
    "A count kept in process memory is lost when the process restarts; "
    "a count kept in Redis survives the restart.",
)
def test_restart_loses_memory_but_not_redis(start_app, redis_url):
    """Count 5 hits on each twin, restart both processes, and read the totals again."""
    bad = start_app(f"{EXAMPLE}/bad")
    good = start_app(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})
    post_hits(bad.url, 5)
    post_hits(good.url, 5)

    bad.restart()
    good.restart()

    assert requests.get(f"{bad.url}/hits", timeout=5).json() == {"hits": 0}
    assert requests.get(f"{good.url}/hits", timeout=5).json() == {"hits": 5}


@claim(
    "counter-copies-disagree",
    "Two copies of a process that counts in memory each see part of the traffic and "
    "disagree on the total; copies that count in Redis agree on every answer.",
)
def test_two_copies_disagree_in_memory_but_agree_in_redis(start_copies, redis_url):
    """Run two copies of each twin behind a round-robin, send 10 hits, and ask each copy."""
    bad = start_copies(f"{EXAMPLE}/bad")
    good = start_copies(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})

    bad_answers = [bad.post("/hits").json()["hits"] for _ in range(10)]
    good_answers = [good.post("/hits").json()["hits"] for _ in range(10)]

    assert bad_answers == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert [bad.get("/hits").json()["hits"] for _ in range(2)] == [5, 5]
    assert good_answers == list(range(1, 11))
    assert [good.get("/hits").json()["hits"] for _ in range(2)] == [10, 10]


def hits_after_kill_9(start_app, redis_url: str, twin: str) -> tuple[int, int]:
    """Acknowledged hits around a kill -9, and the count the app reports afterwards."""
    app = start_app(f"{EXAMPLE}/{twin}", env={"REDIS_URL": redis_url})
    traffic = crash_under_traffic(app, lambda: requests.post(f"{app.url}/hits", timeout=5))
    return traffic.acknowledged, requests.get(f"{app.url}/hits", timeout=5).json()["hits"]


@claim(
    "counter-kill-9",
    "Under steady traffic, kill -9 loses no acknowledged hit when the count lives in Redis; "
    "in memory, every hit acknowledged before the crash is gone.",
)
def test_kill_9_loses_acknowledged_hits_only_in_memory(start_app, redis_url):
    """Keep sending hits while the process is killed with SIGKILL and started again."""
    bad_acknowledged, bad_count = hits_after_kill_9(start_app, redis_url, "bad")
    good_acknowledged, good_count = hits_after_kill_9(start_app, redis_url, "good")

    assert bad_count < bad_acknowledged
    assert good_count >= good_acknowledged > 0
