"""Proofs for Factor IX: shut down gracefully on SIGTERM."""

import os
import re
import shlex
import signal
import sys
import threading
import time
from pathlib import Path

import requests

from proven import claim
from proven.services import free_port

EXAMPLE = "disposability/drain"
IN_FLIGHT = 6


def procfile_web(example: Path, port: int) -> list[str]:
    """The `web` line of the twin's own Procfile, run in its folder with `PORT` set.

    The bad twin's line is `python app.py` (waitress), the good twin's is
    gunicorn with 8 threads and a 20 s graceful timeout: each twin brings its
    own server, as it would on a Procfile platform.
    """
    line = re.search(r"^web:\s*(.+)$", (example / "Procfile").read_text(), re.MULTILINE)
    script = f"export PORT={port}; cd {shlex.quote(str(example))} && exec {line.group(1)}"
    return ["/bin/sh", "-c", script]


def start_web(start_app, twin: str):
    """Start a twin's `web` process from its Procfile on a free port."""
    path = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    return start_app(
        f"{EXAMPLE}/{twin}", command=procfile_web, port=free_port(), env={"PATH": path}
    )


def served(url: str) -> bool:
    """Whether a new request gets an answer at all."""
    try:
        return requests.post(f"{url}/reports", timeout=10).ok
    except requests.RequestException:
        return False


def sigterm_under_load(app) -> dict:
    """Start IN_FLIGHT slow requests, SIGTERM the server while all are running, count outcomes.

    The requests are in flight once the app has printed that it is rendering the
    last of them. One second after the signal, one new request is sent.
    """
    reports: list[int] = []
    dropped: list[str] = []

    def request_report() -> None:
        try:
            answer = requests.post(f"{app.url}/reports", timeout=30)
            answer.raise_for_status()
            reports.append(answer.json()["report"])
        except requests.RequestException as error:
            dropped.append(type(error).__name__)

    clients = [threading.Thread(target=request_report) for _ in range(IN_FLIGHT)]
    for client in clients:
        client.start()
    app.wait_for_output(f"rendering report {IN_FLIGHT}")

    app.send_signal(signal.SIGTERM)
    time.sleep(1)
    new_request_served = served(app.url)
    for client in clients:
        client.join()
    return {
        "completed": sorted(reports),
        "dropped": len(dropped),
        "new request served": new_request_served,
        "exit code": app.wait_exit(timeout=30),
    }


def told(run: dict) -> str:
    """One line for the claim box."""
    return (
        f"completed {len(run['completed'])} of {IN_FLIGHT} requests in flight, dropped "
        f"{run['dropped']}; a request sent 1 s after SIGTERM was "
        f"{'served' if run['new request served'] else 'not served'}; exit code {run['exit code']}"
    )


@claim(
    "graceful-web-shutdown",
    "SIGTERM with 6 requests in flight: gunicorn completes all 6, leaves a request sent one "
    "second after the signal unanswered, and exits 0; waitress, with no graceful drain, dies "
    "by the signal and drops all 6.",
)
def test_sigterm_drains_in_flight_requests(start_app, observe):
    """Send 6 requests of 2.5 s, SIGTERM the server while they run, then see what was answered."""
    bad = sigterm_under_load(start_web(start_app, "bad"))
    good = sigterm_under_load(start_web(start_app, "good"))
    observe(bad=told(bad), good=told(good))

    assert bad == {
        "completed": [],
        "dropped": IN_FLIGHT,
        "new request served": False,
        "exit code": -signal.SIGTERM,
    }
    assert good == {
        "completed": list(range(1, IN_FLIGHT + 1)),
        "dropped": 0,
        "new request served": False,
        "exit code": 0,
    }
