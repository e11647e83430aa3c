# --8<-- [start:counter-restart]
"""Proofs for the hit counter: a count in process memory vs a count in Redis."""

import time

import requests

from proven import AppProcess, Crash, Lane, Timeline, claim, crash_under_traffic

EXAMPLE = "stateless-processes/hit-counter"


def post_hits(url: str, times: int) -> list[int]:
    """Send `times` hits and return the totals the app answered."""
    return [requests.post(f"{url}/hits", timeout=5).json()["hits"] for _ in range(times)]


def read_hits(url: str) -> int:
    """The total the app answers, without counting a hit."""
    return requests.get(f"{url}/hits", timeout=5).json()["hits"]


RESTART_LEGEND = {"kept": "hit counted, still counted", "lost": "hit counted, lost"}
"""The counter-restart timeline's fates, in the words of its claim."""


def count_restart_read(app: AppProcess, lane: Lane) -> tuple[list[int], int]:
    """Send 5 hits, restart the process, read the total; put each step on `lane`.

    Returns the totals answered to the hits and the total read after the
    restart. A hit is kept when that total still covers its number.
    """
    counted, answered = [], []
    for _ in range(5):
        counted += post_hits(app.url, 1)
        answered.append(time.monotonic())
    lane.event("restart")
    app.restart()
    after = read_hits(app.url)
    lane.read(f"total: {after}")
    for number, at in zip(counted, answered, strict=True):
        lane.request("kept" if number <= after else "lost", at=at)
    return counted, after


@claim(
    "counter-restart",
    "A count kept in process memory is lost when the process restarts; "
    "a count kept in Redis survives the restart.",
)
def test_restart_loses_memory_but_not_redis(start_app, redis_url, observe):
    """Count 5 hits on each twin, restart both processes, and read the totals again."""
    bad = start_app(f"{EXAMPLE}/bad")
    good = start_app(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})
    timeline = Timeline(RESTART_LEGEND)
    bad_counted, bad_after = count_restart_read(bad, timeline.bad)
    good_counted, good_after = count_restart_read(good, timeline.good)
    observe(
        bad=f"counted hits {bad_counted[0]} to {bad_counted[-1]}; after the restart it "
        f"answered a total of {bad_after}",
        good=f"counted hits {good_counted[0]} to {good_counted[-1]}; after the restart it "
        f"answered a total of {good_after}",
        timeline=timeline,
    )

    assert bad_counted == good_counted == [1, 2, 3, 4, 5]
    assert bad_after == 0
    assert good_after == 5


# --8<-- [end:counter-restart]


@claim(
    "counter-copies-disagree",
    "Behind a round-robin, two copies of a process that counts in memory each count only the "
    "hits they served and disagree on the total; copies that count in Redis number every hit "
    "once and report the same, true total.",
)
def test_two_copies_disagree_in_memory_but_agree_in_redis(start_copies, redis_url, observe):
    """Run two copies of each twin behind a round-robin, send 11 hits, and ask each copy.

    With an odd number of hits the first copy served one more than the second,
    so two copies that count for themselves cannot agree.
    """
    bad = start_copies(f"{EXAMPLE}/bad")
    good = start_copies(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})

    bad_answers = [bad.post("/hits").json()["hits"] for _ in range(11)]
    good_answers = [good.post("/hits").json()["hits"] for _ in range(11)]
    # The 12th request goes to the second copy, the 13th to the first.
    bad_totals = [bad.get("/hits").json()["hits"] for _ in range(2)]
    good_totals = [good.get("/hits").json()["hits"] for _ in range(2)]
    observe(
        bad=f"numbered 11 hits {', '.join(map(str, bad_answers))}; asked for the total, the "
        f"copies answered {bad_totals[0]} and {bad_totals[1]}",
        good=f"numbered 11 hits {', '.join(map(str, good_answers))}; asked for the total, "
        f"the copies answered {good_totals[0]} and {good_totals[1]}",
    )

    # In memory, each copy numbers only its own hits, and their totals differ.
    assert bad_answers == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6]
    assert bad_totals == [5, 6]
    # In Redis, the copies number the hits 1 to 11 between them and both report 11.
    assert good_answers == list(range(1, 12))
    assert good_totals == [11, 11]


def answers(responses: list[requests.Response]) -> list[int]:
    """The totals the app answered, one per acknowledged hit."""
    return [response.json()["hits"] for response in responses]


def crash_timeline(seen: dict[str, tuple[Crash, int, float]]) -> Timeline:
    """Both twins' crashes, each with the count read afterwards and when it was read."""
    timeline = Timeline(
        {"kept": "hit counted", "lost": "hit lost", "answered": "answered in between"}
    )
    draw_crash(timeline.bad, *seen["bad"])
    draw_crash(timeline.good, *seen["good"])
    return timeline


def draw_crash(lane: Lane, crash: Crash, kept: int, read_at: float) -> None:
    """Put each hit of a crash on `lane` with what became of it, then the kill, restart and read.

    A hit acknowledged before the kill is kept when the numbering went on above
    it after the restart (a counter in memory numbers from 1 again: those hits
    are gone); one sent after the restart is kept when the count read
    afterwards covers its number; one answered in between may have reached
    either process, and is drawn as such.
    """
    carried_on = min(answers(crash.after), default=0) > len(crash.before)
    for sent in crash.traffic.sent:
        moment = crash.moment(sent)
        if not sent.acknowledged:
            fate = "failed"
        elif moment == "between":
            fate = "answered"
        elif moment == "before":
            fate = "kept" if carried_on else "lost"
        else:
            fate = "kept" if sent.response.json()["hits"] <= kept else "lost"
        lane.request(fate, at=sent.finished)
    lane.event("kill -9", at=crash.killed_at)
    lane.event("restarted", at=crash.restarted_at)
    lane.read(f"count: {kept}", at=read_at)


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
        seen[twin] = crash, read_hits(app.url), time.monotonic()
    (bad, bad_kept, _), (good, good_kept, _) = seen["bad"], seen["good"]
    # Acknowledged in the moment between the kill and the restart: by either process.
    bad_between = len(bad.acknowledged) - len(bad.before) - len(bad.after)
    good_numbers = answers(good.acknowledged)
    observe(
        bad=f"{len(bad.before)} hits acknowledged before the kill, {len(bad.after)} after the "
        f"restart; the count afterwards was {bad_kept}, the new process's own hits "
        f"({answers(bad.after)[0] - 1 if bad.after else '?'} in between, {len(bad.after)} after)",
        good=f"{len(good.before)} hits acknowledged before the kill, {len(good.after)} after "
        f"the restart, {len(set(good_numbers))} distinct numbers in all; the count afterwards "
        f"was {good_kept}",
        timeline=crash_timeline(seen),
    )

    # Before the kill, both twins numbered their hits 1, 2, 3, ...
    for crash in (bad, good):
        assert crash.before and crash.after
        assert answers(crash.before) == list(range(1, len(crash.before) + 1))
    # In memory, the new process counts from zero: its numbers after the restart run on
    # one by one from no more than the few hits of the moment in between, and the count is
    # its own last number. Had it kept the hits acknowledged before the kill, its numbers
    # would start above them.
    after = answers(bad.after)
    assert after == list(range(after[0], after[0] + len(after)))
    assert after[0] - 1 <= bad_between
    assert bad_kept == after[-1]
    # In Redis, each acknowledged hit, before and after, has its own number, the numbering
    # goes on after the restart, and the count covers every number answered.
    assert len(set(good_numbers)) == len(good_numbers)
    assert min(answers(good.after)) > len(good.before)
    assert good_kept >= max(good_numbers)
