"""Proofs for Factor XI: logs as an event stream on stdout, collected by the environment."""

import json
import shutil
from pathlib import Path

import requests

from harness import claim

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


@claim(
    "logs-one-stream",
    "Three processes that write one event per line to stdout can be collected as one stream: "
    "interleaved by time, it holds every request exactly once, in the order they were sent; "
    "an app that writes to its own log file puts nothing in the stream.",
)
def test_streams_of_three_processes_merge_into_one(start_copies):
    """Send 30 requests round-robin to 3 copies, capture their stdout, merge it by timestamp."""
    sent = [f"req-{n:02}" for n in range(30)]
    merged = {}
    for twin in ("bad", "good"):
        copies = start_copies(f"{EXAMPLE}/{twin}", count=3)
        for request_id in sent:
            copies.get("/orders/1001", headers={"X-Request-Id": request_id}).raise_for_status()
        merged[twin] = collect(*(app.output() for app in copies.apps))

    ours = {twin: [e for e in merged[twin] if e["request_id"] in sent] for twin in merged}
    assert ours["bad"] == []
    assert [e["request_id"] for e in ours["good"]] == sent
    assert len({e["pid"] for e in ours["good"]}) == 3


@claim(
    "logs-kill-9-tail",
    "kill -9 right after the last request: every event of the 120 completed requests is "
    "already in the captured stdout of the good app; the bad app, which batches its events "
    "into a file, has lost the tail.",
)
def test_kill_9_loses_only_buffered_events(start_app):
    """Send 120 requests, kill -9 the process as soon as the last answer arrives, count events."""
    counted = {}
    for twin in ("bad", "good"):
        app = start_app(f"{EXAMPLE}/{twin}")
        for _ in range(120):
            requests.get(f"{app.url}/orders/1001", timeout=5).raise_for_status()
        app.kill()
        counted[twin] = len(request_events(app.output())) + len(events_on_disk(app.disk))
    print(f"events kept after kill -9 of 120 requests: {counted}")

    assert counted["bad"] < 120
    assert counted["good"] == 120


@claim(
    "logs-container-replaced",
    "Events written to a log file in the process's own directory vanish with it when the "
    "container is replaced, and the collected stream never saw them; events on stdout were "
    "collected as they happened.",
)
def test_log_files_go_with_the_container(start_app):
    """Send 20 requests, stop the app, replace its container (a fresh, empty directory)."""
    kept = {}
    for twin in ("bad", "good"):
        app = start_app(f"{EXAMPLE}/{twin}")
        for _ in range(20):
            requests.get(f"{app.url}/orders/1002", timeout=5).raise_for_status()
        app.stop()
        written = len(events_on_disk(app.disk)) + len(request_events(app.output()))
        collected, old_disk = app.log_path, app.disk

        app.start()
        shutil.rmtree(old_disk)
        kept[twin] = (written, len(request_events(collected.read_text())), events_on_disk(app.disk))

    assert kept["bad"] == (20, 0, [])
    assert kept["good"] == (20, 20, [])


@claim(
    "logs-structured-query",
    "Structured events (JSON lines with a request id) let a collector answer questions over "
    "the merged stream of many processes, such as which requests got a 404, without parsing "
    "prose.",
)
def test_query_the_collected_stream(start_copies):
    """Send 12 requests (4 for orders that do not exist) to 2 copies, query for the 404s."""
    misses = {f"miss-{n}" for n in range(4)}
    found = {}
    for twin in ("bad", "good"):
        copies = start_copies(f"{EXAMPLE}/{twin}")
        for n in range(8):
            copies.get("/orders/1001", headers={"X-Request-Id": f"hit-{n}"})
        for request_id in sorted(misses):
            copies.get("/orders/9999", headers={"X-Request-Id": request_id})
        stream = collect(*(app.output() for app in copies.apps))

        found[twin] = {e["request_id"] for e in stream if e["status"] == 404}

    assert found["bad"] == set()
    assert found["good"] == misses
