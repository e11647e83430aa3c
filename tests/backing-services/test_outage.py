"""Proofs for Factor IV: what an app does while its attached Redis is gone, and after."""

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from harness import Traffic, claim

EXAMPLE = "backing-services/outage"


@claim(
    "outage-503",
    "When its Redis dies, the good app answers 503 with a one-line reason and, once Redis is "
    "back, serves again by itself with every acknowledged note kept; the bad app answers 500, "
    "with a stack trace in its log.",
)
def test_dead_redis_gives_503_and_recovery_without_loss(start_app, redis_servers):
    """Send notes to the good app while its Redis is killed and started again; meanwhile ask
    each twin for the notes, then count the notes Redis holds against the acknowledged ones."""
    server = redis_servers(durable=True)
    env = {"REDIS_URL": server.url}
    bad = start_app(f"{EXAMPLE}/bad", env=env)
    good = start_app(f"{EXAMPLE}/good", env=env)
    pid = good.pid

    with Traffic(lambda: requests.post(f"{good.url}/notes", json={"text": "x"}, timeout=5)) as sent:
        time.sleep(0.3)
        server.kill()
        during = {app: requests.get(f"{app.url}/notes", timeout=5) for app in (bad, good)}
        server.start()
        time.sleep(0.3)

    assert during[bad].status_code == 500
    assert "Traceback" in bad.output()
    assert during[good].status_code == 503
    assert during[good].json() == {"error": "the note store is unavailable; try again soon"}
    assert "Traceback" not in good.output()

    kept = requests.get(f"{good.url}/notes", timeout=5).json()["notes"]
    assert sent.acknowledged > 0
    assert len(kept) >= sent.acknowledged
    assert good.pid == pid and good.starts == 1


def ask_for_notes(app) -> int | str:
    """The status of `GET /notes`, or "Timeout" when there is none within 3 seconds."""
    try:
        return requests.get(f"{app.url}/notes", timeout=3).status_code
    except requests.Timeout:
        return "Timeout"


@claim(
    "outage-no-hang",
    "When its Redis stops answering but keeps the connection open, the good app gives up after "
    "its one-second timeout and answers 503; the bad app, with no timeout, leaves the request "
    "hanging.",
)
def test_stalled_redis_hangs_only_the_bad_app(start_app, redis_servers):
    """Freeze the Redis with SIGSTOP and ask both twins for their notes at once, waiting up
    to 3 seconds for each answer."""
    server = redis_servers()
    env = {"REDIS_URL": server.url}
    bad = start_app(f"{EXAMPLE}/bad", env=env)
    good = start_app(f"{EXAMPLE}/good", env=env)

    server.pause()
    try:
        with ThreadPoolExecutor() as pool:
            asked = {app: pool.submit(ask_for_notes, app) for app in (bad, good)}
        assert asked[good].result() == 503
        assert asked[bad].result() == "Timeout"
    finally:
        server.resume()
