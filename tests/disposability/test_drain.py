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
from urllib3.exceptions import ConnectTimeoutError

from proven import AppProcess, Lane, Timeline, claim
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


def causes(error: BaseException) -> list[BaseException]:
    """The error and every error beneath it, outermost first.

    requests wraps urllib3's errors in `args`, urllib3 keeps what caused a retry
    in `reason`, and Python chains the rest in `__cause__` or `__context__`.
    """
    chain = [error]
    while True:
        inner = (
            getattr(chain[-1], "reason", None)
            or next((arg for arg in chain[-1].args if isinstance(arg, BaseException)), None)
            or chain[-1].__cause__
            or chain[-1].__context__
        )
        if not isinstance(inner, BaseException) or inner in chain:
            return chain
        chain.append(inner)


def late_request(app: AppProcess) -> dict:
    """Send one new request and record exactly what became of it.

    `answer` is its status code (None if there was none); `connected` whether
    the TCP connection was made (urllib3 raises a ConnectTimeoutError, or its
    subclass NewConnectionError, when it was not); `error` the root cause of the failure, such as
    ConnectionRefusedError (nothing listens on the port) or ConnectionResetError
    (the connection was made, then reset).
    """
    try:
        answer, error = requests.post(f"{app.url}/reports", timeout=10), None
    except requests.RequestException as failure:
        answer, error = None, causes(failure)
    return {
        "answer": answer.status_code if answer is not None else None,
        "connected": not any(isinstance(inner, ConnectTimeoutError) for inner in error or []),
        "error": type(error[-1]).__name__ if error else None,
    }


def sigterm_under_load(app: AppProcess, lane: Lane) -> dict:
    """Start IN_FLIGHT slow requests, SIGTERM the server while all are running, count outcomes.

    The requests are in flight once the app has printed that it is rendering the
    last of them. One second after the signal, one new request is sent; once the
    server has exited, its output tells whether the app ever began to render it.
    Each request's end, the signal, the late request and the exit code go on `lane`.
    """
    reports: list[int] = []
    dropped: list[str] = []

    def request_report() -> None:
        try:
            answer = requests.post(f"{app.url}/reports", timeout=30)
            answer.raise_for_status()
            reports.append(answer.json()["report"])
            lane.request("kept")
        except requests.RequestException as error:
            dropped.append(type(error).__name__)
            lane.request("lost")

    clients = [threading.Thread(target=request_report) for _ in range(IN_FLIGHT)]
    lane.event(f"{IN_FLIGHT} requests sent")
    for client in clients:
        client.start()
    app.wait_for_output(f"rendering report {IN_FLIGHT}")

    lane.event("SIGTERM")
    app.send_signal(signal.SIGTERM)
    time.sleep(1)
    late = late_request(app)
    lane.request("kept" if late["answer"] else "failed")
    for client in clients:
        client.join()
    code = app.wait_exit(timeout=30)
    lane.read(f"exit code {code}")
    late["rendered"] = f"rendering report {IN_FLIGHT + 1}" in app.output()
    return {
        "completed": sorted(reports),
        "dropped": len(dropped),
        "late request": late,
        "exit code": code,
    }


def told(run: dict) -> str:
    """One line for the claim box."""
    late = run["late request"]
    fate = [
        "connected" if late["connected"] else "not connected",
        "rendered" if late["rendered"] else "never rendered",
        f"answered {late['answer']}" if late["answer"] else f"ended by {late['error']}",
    ]
    return (
        f"completed {len(run['completed'])} of {IN_FLIGHT} requests in flight, dropped "
        f"{run['dropped']}; a request sent 1 s after SIGTERM was {', '.join(fate)}; "
        f"exit code {run['exit code']}"
    )


@claim(
    "graceful-web-shutdown",
    "SIGTERM with 6 requests in flight: gunicorn completes all 6 and exits 0; a request sent "
    "one second after the signal is connected but never rendered or answered, and then reset "
    "(ConnectionResetError). Waitress, with "
    "no graceful drain, dies by the signal and drops all 6; the late request is refused "
    "(ConnectionRefusedError).",
)
def test_sigterm_drains_in_flight_requests(start_app, observe):
    """Send 6 requests of 2.5 s, SIGTERM the server while they run, then see what was answered."""
    timeline = Timeline(
        legend={"kept": "completed", "lost": "dropped", "failed": "late request, no answer"}
    )
    bad = sigterm_under_load(start_web(start_app, "bad"), timeline.bad)
    good = sigterm_under_load(start_web(start_app, "good"), timeline.good)
    observe(bad=told(bad), good=told(good), timeline=timeline)

    assert bad == {
        "completed": [],
        "dropped": IN_FLIGHT,
        "late request": {
            "answer": None,
            "connected": False,
            "error": "ConnectionRefusedError",
            "rendered": False,
        },
        "exit code": -signal.SIGTERM,
    }
    assert good == {
        "completed": list(range(1, IN_FLIGHT + 1)),
        "dropped": 0,
        "late request": {
            "answer": None,
            "connected": True,
            "error": "ConnectionResetError",
            "rendered": False,
        },
        "exit code": 0,
    }
