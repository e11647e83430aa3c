"""Proofs for Factor XI: logs as an event stream on stdout, collected by the environment."""

import json
import shutil
import time
from pathlib import Path

import requests

from proven import Timeline, claim

EXAMPLE = "logs/request-log"


def request_events(text: str, path: str = "/orders/") -> list[dict]:
    """The request events for `path...` in captured output: JSON lines of `event` `request`."""
    found = []
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if (
            isinstance(event, dict)
            and event.get("event") == "request"
            and event.get("path", "").startswith(path)
        ):
            found.append(event)
    return found


def collect(*streams: str) -> list[dict]:
    """What a log router does: merge the streams of several processes into one, by time."""
    return sorted((e for text in streams for e in request_events(text)), key=lambda e: e["ts"])


def events_on_disk(folder: Path) -> list[dict]:
    """The request events in the log files an app wrote under its working directory."""
    return [
        e for path in sorted(folder.glob("logs/app.log*")) for e in request_events(path.read_text())
    ]


def ids(events: list[dict]) -> list[str]:
    """The request ids of events, in their order."""
    return [e["request_id"] for e in events]


@claim(
    "logs-one-stream",
    "Three processes that write one event per line to stdout can be collected as one stream: "
    "interleaved by time, it holds every request exactly once, in the order they were sent; "
    "an app that writes to its own log file puts none of its request events in the stream.",
)
def test_streams_of_three_processes_merge_into_one(start_copies, observe):
    """Send 30 requests, each with its own id, round-robin to 3 copies; capture each copy's
    stdout and stderr, merge the three streams by timestamp, and read the ids in order."""
    sent = [f"req-{n:02}" for n in range(30)]
    merged, raw = {}, {}
    for twin in ("bad", "good"):
        copies = start_copies(f"{EXAMPLE}/{twin}", count=3)
        for request_id in sent:
            copies.get("/orders/1001", headers={"X-Request-Id": request_id}).raise_for_status()
        raw[twin] = "".join(app.output() for app in copies.apps)
        merged[twin] = collect(*(app.output() for app in copies.apps))
    good_ids = ids(merged["good"])
    observe(
        bad=f"the merged stream of 3 copies held {len(merged['bad'])} request events for the "
        f"{len(sent)} requests sent",
        good=f"the merged stream of 3 copies held {len(good_ids)} request events: "
        f"{good_ids[0]} to {good_ids[-1]}, each once, in the order sent"
        if good_ids == sent
        else f"the merged stream held {len(good_ids)} request events, not the 30 sent in order",
    )

    assert good_ids == sent
    assert len({e["pid"] for e in merged["good"]}) == 3
    assert merged["bad"] == []
    assert not any(request_id in raw["bad"] for request_id in sent)


@claim(
    "logs-kill-9-tail",
    "kill -9 right after the last request: every event of the 120 completed requests is "
    "already in the captured stdout of the good app; the bad app, which batches its events "
    "into a file, has lost the tail.",
)
def test_kill_9_loses_only_buffered_events(start_app, observe):
    """Send 120 requests, each with its own id, kill -9 the process as soon as the last answer
    arrives, then read which ids survive in the captured output and in the app's log files."""
    sent = [f"req-{n:03}" for n in range(120)]
    kept = {}
    timeline = Timeline({"kept": "event logged", "lost": "event lost"})
    for twin in ("bad", "good"):
        app = start_app(f"{EXAMPLE}/{twin}")
        answered = []
        for request_id in sent:
            requests.get(
                f"{app.url}/orders/1001", headers={"X-Request-Id": request_id}, timeout=5
            ).raise_for_status()
            answered.append(time.monotonic())
        lane = getattr(timeline, twin)
        lane.event("kill -9")
        app.kill()
        kept[twin] = {
            "stdout": ids(request_events(app.output())),
            "file": ids(events_on_disk(app.disk)),
        }
        logged = set(kept[twin]["stdout"]) | set(kept[twin]["file"])
        lane.read(f"events logged: {len(logged)}")
        for request_id, at in zip(sent, answered, strict=True):
            lane.request("kept" if request_id in logged else "lost", at=at)
    bad, good = kept["bad"]["file"], kept["good"]["stdout"]
    observe(
        bad=f"kept {len(bad)} of 120 events in its file ({bad[0]} to {bad[-1]}); lost the "
        f"last {120 - len(bad)}, {sent[len(bad)]} to {sent[-1]}"
        if 0 < len(bad) < len(sent)
        else f"kept {len(bad)} of 120 events in its file",
        good=f"kept {len(good)} of 120 events in its captured stdout, {good[0]} to {good[-1]}"
        if good
        else "kept 0 of 120 events in its captured stdout",
        timeline=timeline,
    )

    assert kept["good"] == {"stdout": sent, "file": []}
    # The bad app kept a first part of the requests, in order, and lost the rest: the tail.
    assert kept["bad"]["stdout"] == []
    assert 0 < len(bad) < len(sent)
    assert bad == sent[: len(bad)]


@claim(
    "logs-container-replaced",
    "Events written to a log file in the process's own directory are not in the collected "
    "stream, so they go with the container when it is replaced (the proof deletes the old "
    "directory, as a platform does); events on stdout were collected as they happened and "
    "outlive it.",
)
def test_log_files_go_with_the_container(start_app, observe):
    """Send 20 requests, each with its own id, stop the app (SIGTERM), and replace its
    container: start a new process in a fresh, empty directory and delete the old one."""
    sent = [f"order-{n:02}" for n in range(20)]
    seen = {}
    for twin in ("bad", "good"):
        app = start_app(f"{EXAMPLE}/{twin}")
        for request_id in sent:
            requests.get(
                f"{app.url}/orders/1002", headers={"X-Request-Id": request_id}, timeout=5
            ).raise_for_status()
        while_running = ids(request_events(app.output()))
        app.stop()
        in_file = ids(events_on_disk(app.disk))
        collected, old_disk = app.log_path, app.disk

        app.start()
        shutil.rmtree(old_disk)
        seen[twin] = {
            "collected while it ran": while_running,
            "written to its own file": in_file,
            "collected": ids(request_events(collected.read_text())),
            "in the new container": ids(events_on_disk(app.disk)),
            "old directory left": old_disk.exists(),
        }
    bad, good = seen["bad"], seen["good"]
    observe(
        bad=f"wrote {len(bad['written to its own file'])} of 20 events to its file; the "
        f"collected stream held {len(bad['collected'])}, the new container "
        f"{len(bad['in the new container'])}",
        good=f"the collected stream held {len(good['collected while it ran'])} of 20 events "
        f"while it ran and {len(good['collected'])} after the container was replaced; its own "
        f"files held {len(good['written to its own file'])}",
    )

    assert bad == {
        "collected while it ran": [],
        "written to its own file": sent,
        "collected": [],
        "in the new container": [],
        "old directory left": False,
    }
    assert good == {
        "collected while it ran": sent,
        "written to its own file": [],
        "collected": sent,
        "in the new container": [],
        "old directory left": False,
    }


@claim(
    "logs-structured-query",
    "With each event a JSON line that carries its request id and status, one filter over the "
    "merged stream of two processes answers which requests got a 404: on the good app's "
    "stream it finds exactly the four that missed, served by both copies; on the bad app's "
    "it finds none, though the bad app wrote all four to files in its copies' directories.",
)
def test_query_the_collected_stream(start_copies, observe):
    """Send 12 requests (4 for orders that do not exist) round-robin to 2 copies, query the
    merged stream for the 404s; then stop the copies and read their own log files."""
    misses = [f"miss-{n}" for n in range(4)]
    found, pids, in_files = {}, {}, {}
    for twin in ("bad", "good"):
        copies = start_copies(f"{EXAMPLE}/{twin}")
        for n in range(8):
            copies.get("/orders/1001", headers={"X-Request-Id": f"hit-{n}"}).raise_for_status()
        for request_id in misses:
            assert (
                copies.get("/orders/9999", headers={"X-Request-Id": request_id}).status_code == 404
            )
        stream = collect(*(app.output() for app in copies.apps))

        query = [e for e in stream if e["status"] == 404]
        found[twin], pids[twin] = ids(query), {e["pid"] for e in query}
        for app in copies.apps:
            app.stop()
        in_files[twin] = sorted(
            e["request_id"]
            for app in copies.apps
            for e in events_on_disk(app.disk)
            if e["status"] == 404
        )
    observe(
        bad=f"the query found {len(found['bad'])} of 4 misses in the stream; its copies' own "
        f"files held {len(in_files['bad'])}",
        good=f"the query found {len(found['good'])} of 4 misses ({', '.join(found['good'])}), "
        f"from {len(pids['good'])} processes",
    )

    assert found["good"] == misses
    assert len(pids["good"]) == 2
    assert found["bad"] == []
    assert in_files["bad"] == misses
