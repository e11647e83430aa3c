"""Proofs for Factor IV: a Redis named by a URL in config vs an address written into the code."""

import json
import uuid

import redis
import requests

from proven import claim

EXAMPLE = "backing-services/attached"


def seed(url: str, *notes: str) -> None:
    """Write notes straight into a Redis server, as another tool would."""
    with redis.Redis.from_url(url) as client:
        client.rpush("notes", *notes)


def notes(app) -> str:
    """What the app answers for its notes, as text: the list, or an error."""
    return requests.get(f"{app.url}/notes", timeout=5).text


def summary(text: str) -> str:
    """An answer in a few words: the notes it listed, or its error."""
    answer = json.loads(text)
    return f"notes {answer['notes']}" if "notes" in answer else f"error {answer['error']!r}"


@claim(
    "attach-by-url",
    "The good app serves whichever of two separate Redis servers its REDIS_URL names, switched "
    "by changing that URL and restarting; the bad one, given either URL, serves neither.",
)
def test_swap_redis_by_changing_the_url(start_app, redis_servers, observe):
    """Put a different note in each of two Redis servers, start each twin attached to the
    first, then change REDIS_URL to the second and restart the same files."""
    first, second = redis_servers(), redis_servers()
    from_first, from_second = f"first-{uuid.uuid4()}", f"second-{uuid.uuid4()}"
    seed(first.url, from_first)
    seed(second.url, from_second)

    served = {}
    for twin in ("bad", "good"):
        app = start_app(f"{EXAMPLE}/{twin}", env={"REDIS_URL": first.url})
        before = notes(app)
        app.env["REDIS_URL"] = second.url
        app.restart()
        served[twin] = (before, notes(app))
    names = {from_first: "the first server's note", from_second: "the second server's note"}
    listed = [
        [names.get(note, note) for note in json.loads(text).get("notes", [])]
        for text in served["good"]
    ]
    observe(
        bad=f"with either URL it answered the same: {summary(served['bad'][0])}",
        good=f"listed {listed[0]}; after the URL change and restart, {listed[1]}",
    )

    before, after = (json.loads(text) for text in served["good"])
    assert (before, after) == ({"notes": [from_first]}, {"notes": [from_second]})
    before, after = served["bad"]
    assert before == after
    assert from_first not in before and from_second not in before


@claim(
    "restore-from-dump",
    "When a Redis server is lost, a second one restored from its RDB dump serves every note "
    "again through the good app after one change of REDIS_URL and a restart; the bad app, "
    "given the restored server's URL, serves none of them.",
)
def test_restored_copy_is_attached_by_one_config_change(start_app, redis_servers, observe):
    """Write notes through the good app, dump the Redis with SAVE, kill it, start a new Redis
    on another port from the dump, and attach each twin to the new one by its URL."""
    lost = redis_servers()
    good = start_app(f"{EXAMPLE}/good", env={"REDIS_URL": lost.url})
    written = [f"note-{n}-{uuid.uuid4()}" for n in range(3)]
    for text in written:
        assert requests.post(f"{good.url}/notes", json={"text": text}, timeout=5).status_code == 201

    backup = lost.dump()
    lost.kill()
    while_lost = requests.get(f"{good.url}/notes", timeout=5).status_code
    restored = redis_servers(load_from=backup)

    good.env["REDIS_URL"] = restored.url
    good.restart()
    bad = start_app(f"{EXAMPLE}/bad", env={"REDIS_URL": restored.url})
    good_notes = requests.get(f"{good.url}/notes", timeout=5).json()["notes"]
    bad_answer = requests.get(f"{bad.url}/notes", timeout=5)
    bad_kept = [text for text in written if text in bad_answer.text]
    observe(
        bad=f"attached to the restored server, answered {bad_answer.status_code} with "
        f"{len(bad_kept)} of the {len(written)} notes",
        good=f"answered {while_lost} while the server was lost; after the URL change, "
        f"{len([t for t in written if t in good_notes])} of {len(written)} notes, in order",
    )

    assert restored.port != lost.port
    assert while_lost == 503
    assert good_notes == written
    assert bad_kept == []
