"""Proofs for Factor IV: what an app does while its attached Redis is gone, and after."""

import itertools
import json
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from proven import Timeline, Traffic, claim

EXAMPLE = "backing-services/outage"
UNAVAILABLE = {"error": "the note store is unavailable; try again soon"}


def text_of(sent) -> str:
    """The note a request of the traffic carried: its identity."""
    return json.loads(sent.response.request.body)["text"]


@claim(
    "outage-503",
    "When its Redis dies, the good app answers 503 with a one-line reason and, once Redis is "
    "back, serves again by itself, in the same process, with every note it acknowledged before "
    "and after the outage kept; the bad app answers 500, with a stack trace in its log.",
)
def test_dead_redis_gives_503_and_recovery_without_loss(start_app, redis_servers, observe):
    """Send numbered notes to the good app while its Redis is killed and started again on the
    same address; meanwhile ask each twin for the notes, then read back each note the good
    app acknowledged before the kill and after the restart."""
    server = redis_servers(durable=True)
    env = {"REDIS_URL": server.url}
    bad = start_app(f"{EXAMPLE}/bad", env=env)
    good = start_app(f"{EXAMPLE}/good", env=env)
    pid = good.pid
    numbers = itertools.count()

    def send() -> requests.Response:
        note = {"text": f"note-{next(numbers)}"}
        return requests.post(f"{good.url}/notes", json=note, timeout=5)

    with Traffic(send) as traffic:
        time.sleep(0.3)
        killed_at = time.monotonic()
        server.kill()
        during = {app: requests.get(f"{app.url}/notes", timeout=5) for app in (bad, good)}
        asked_at = time.monotonic()
        server.start()
        back_at = time.monotonic()
        time.sleep(0.5)

    answered = [sent for sent in traffic.sent if sent.response is not None]
    before = [text_of(s) for s in answered if s.acknowledged and s.finished < killed_at]
    after = [text_of(s) for s in answered if s.acknowledged and s.started > back_at]
    acknowledged = [text_of(s) for s in answered if s.acknowledged]
    refused = [s for s in answered if s.response.status_code == 503]
    kept = set(requests.get(f"{good.url}/notes", timeout=5).json()["notes"])
    timeline = Timeline({"kept": "note kept", "lost": "note lost", "failed": "note refused"})
    for sent in traffic.sent:
        fate = "failed" if not sent.acknowledged else "kept" if text_of(sent) in kept else "lost"
        timeline.good.request(fate, at=sent.finished)
    for app, lane in ((bad, timeline.bad), (good, timeline.good)):
        lane.start(at=traffic.sent[0].started)  # both twins on the same clock
        lane.event("Redis killed", at=killed_at)
        lane.read(f"GET /notes: {during[app].status_code}", at=asked_at)
        lane.event("Redis back", at=back_at)
    timeline.good.read(f"notes kept: {len(kept)}")
    observe(
        bad=f"answered {during[bad].status_code} while Redis was down and logged "
        f"{'a traceback' if 'Traceback' in bad.output() else 'no traceback'}",
        good=f"answered {during[good].status_code} while Redis was down, refused "
        f"{len(refused)} notes; kept {len(kept.intersection(before))} of {len(before)} "
        f"acknowledged before the kill and {len(kept.intersection(after))} of {len(after)} after",
        timeline=timeline,
    )

    assert during[bad].status_code == 500
    assert "Traceback" in bad.output()
    assert during[good].status_code == 503
    assert during[good].json() == UNAVAILABLE
    assert "Traceback" not in good.output()
    # Every request got an answer: 201 when kept, 503 while Redis was gone.
    assert len(answered) == len(traffic.sent)
    assert {s.response.status_code for s in answered} <= {201, 503}
    assert all(s.response.json() == UNAVAILABLE for s in refused)
    # Serves again by itself, in the process it started in, and keeps every acknowledged note.
    assert good.pid == pid and good.starts == 1
    assert good.output().count("Booting worker with pid") == 1  # no worker was replaced
    assert before and after
    assert set(before) <= kept and set(after) <= kept and set(acknowledged) <= kept


def ask_for_notes(app) -> tuple[int | str, float, float]:
    """The status of `GET /notes`, or "Timeout" when there is none within 3 seconds, the
    seconds the answer took, and the `time.monotonic()` it came."""
    started = time.monotonic()
    try:
        answer: int | str = requests.get(f"{app.url}/notes", timeout=3).status_code
    except requests.Timeout:
        answer = "Timeout"
    ended = time.monotonic()
    return answer, ended - started, ended


@claim(
    "outage-no-hang",
    "When its Redis stops answering but keeps the connection open, the good app's Redis call "
    "times out and it answers 503 before the client gives up at three seconds; the bad app, with "
    "no timeout, still has not answered when the client gives up.",
)
def test_stalled_redis_hangs_only_the_bad_app(start_app, redis_servers, observe):
    """Let both twins connect to Redis and answer once, freeze the Redis with SIGSTOP, and ask
    both twins for their notes at once, waiting up to 3 seconds for each answer."""
    server = redis_servers()
    env = {"REDIS_URL": server.url}
    bad = start_app(f"{EXAMPLE}/bad", env=env)
    good = start_app(f"{EXAMPLE}/good", env=env)
    first = [requests.get(f"{app.url}/notes", timeout=5).status_code for app in (bad, good)]
    first_at = time.monotonic()

    frozen_at = time.monotonic()
    server.pause()
    try:
        with ThreadPoolExecutor() as pool:
            asked = {app: pool.submit(ask_for_notes, app) for app in (bad, good)}
        (bad_answer, bad_took, bad_at), (good_answer, good_took, good_at) = (
            asked[a].result() for a in (bad, good)
        )
    finally:
        server.resume()
    timeline = Timeline({"answered": "answered", "failed": "no answer (client gave up)"})
    for lane, status, answer, at in (
        (timeline.bad, first[0], bad_answer, bad_at),
        (timeline.good, first[1], good_answer, good_at),
    ):
        lane.read(f"GET /notes: {status}", at=first_at)
        lane.event("Redis frozen", at=frozen_at)
        lane.request("failed" if answer == "Timeout" else "answered", at=at)
        lane.read(f"GET /notes: {answer}", at=at)
    try:
        good.wait_for_output("note store unavailable: TimeoutError", timeout=3)
        timed_out = True
    except AssertionError:
        timed_out = False
    observe(
        bad=f"answered {first[0]} before the freeze; then {bad_answer} after {bad_took:.1f} s",
        good=f"answered {first[1]} before the freeze; then {good_answer} after {good_took:.1f} s, "
        f"{'logging' if timed_out else 'without logging'} the Redis call's TimeoutError",
        timeline=timeline,
    )

    assert first == [200, 200]
    assert good_answer == 503
    assert timed_out
    assert bad_answer == "Timeout"
