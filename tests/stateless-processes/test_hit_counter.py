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
def test_restart_loses_memory_but_not_redis(start_app, redis_url, observe):
    """Count 5 hits on each twin, restart both processes, and read the totals again."""
    bad = start_app(f"{EXAMPLE}/bad")
    good = start_app(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})
    post_hits(bad.url, 5)
    post_hits(good.url, 5)

    bad.restart()
    good.restart()
    bad_after = requests.get(f"{bad.url}/hits", timeout=5).json()
    good_after = requests.get(f"{good.url}/hits", timeout=5).json()
    observe(
        bad=f"counted 5 hits; after the restart it answered {bad_after}",
        good=f"counted 5 hits; after the restart it answered {good_after}",
    )

    assert bad_after == {"hits": 0}
    assert good_after == {"hits": 5}


@claim(
    "counter-copies-disagree",
    "Two copies of a process that counts in memory each see part of the traffic and "
    "disagree on the total; copies that count in Redis agree on every answer.",
)
def test_two_copies_disagree_in_memory_but_agree_in_redis(start_copies, redis_url, observe):
    """Run two copies of each twin behind a round-robin, send 10 hits, and ask each copy."""
    bad = start_copies(f"{EXAMPLE}/bad")
    good = start_copies(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})

    bad_answers = [bad.post("/hits").json()["hits"] for _ in range(10)]
    good_answers = [good.post("/hits").json()["hits"] for _ in range(10)]
    observe(
        bad=f"answered {bad_answers} to 10 hits alternating between two copies",
        good=f"answered {good_answers} to the same 10 hits",
    )

    assert bad_answers == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert [bad.get("/hits").json()["hits"] for _ in range(2)] == [5, 5]
    assert good_answers == list(range(1, 11))
    assert [good.get("/hits").json()["hits"] for _ in range(2)] == [10, 10]


def answers(responses: list[requests.Response]) -> list[int]:
    """The totals the app answered, one per acknowledged hit."""
    return [response.json()["hits"] for response in responses]


@claim(
    "counter-kill-9",
    "Under steady traffic, kill -9 loses no acknowledged hit when the count lives in Redis; "
    "in memory, every hit acknowledged before the crash is gone.",
)
def test_kill_9_loses_acknowledged_hits_only_in_memory(start_app, redis_url, observe):
    """Keep sending hits while the process is killed with SIGKILL and started again.

    Each hit's answer is its number. The proof splits the hits acknowledged
    before the kill from those sent after the restart, then reads the count.
    """
    seen = {}
    for twin in ("bad", "good"):
        app = start_app(f"{EXAMPLE}/{twin}", env={"REDIS_URL": redis_url})
        url = f"{app.url}/hits"
        crash = crash_under_traffic(app, lambda url=url: requests.post(url, timeout=5))
        kept = requests.get(f"{app.url}/hits", timeout=5).json()["hits"]
        seen[twin] = crash, kept
    (bad, bad_kept), (good, good_kept) = seen["bad"], seen["good"]
    bad_not_before = len(bad.acknowledged) - len(bad.before)
    observe(
        bad=f"{len(bad.before)} hits acknowledged before the kill; afterwards the count was "
        f"{bad_kept}, only hits the new process served (at most {bad_not_before})",
        good=f"{len(good.before)} hits acknowledged before the kill and {len(good.after)} after "
        f"the restart; afterwards the count was {good_kept}, every acknowledged hit included",
    )

    # Before the kill, both twins numbered their hits 1, 2, 3, ...
    for crash in (bad, good):
        assert answers(crash.before) == list(range(1, len(crash.before) + 1))
    # In memory, the new process counts only what it served itself: none of the hits
    # acknowledged before the kill is in the count.
    assert bad.after and bad_kept <= bad_not_before
    # In Redis, each acknowledged hit has its own number, and the count covers them all.
    good_answers = answers(good.acknowledged)
    assert good.after and len(set(good_answers)) == len(good_answers)
    assert min(answers(good.after)) > len(good.before)
    assert good_kept >= max(good_answers) and good_kept >= len(good_answers)
