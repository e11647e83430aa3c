"""Proofs for Factor IX: shut down gracefully on SIGTERM."""

import signal
import sys
import threading
import time
from pathlib import Path

import requests

from harness import claim
from harness.services import free_port

EXAMPLE = "disposability/drain"
IN_FLIGHT = 6


def waitress_command(example: Path, port: int) -> list[str]:
    """The bad twin's Procfile line: `python app.py` (waitress), on a free port."""
    return ["env", f"PORT={port or free_port()}", sys.executable, str(example / "app.py")]


def gunicorn_threads_command(example: Path, port: int) -> list[str]:
    """The good twin's Procfile line: gunicorn with 8 threads and a 20 s graceful timeout."""
    server = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--threads", "8"]
    return server + [
        "--graceful-timeout",
        "20",
        "--no-control-socket",
        "--pythonpath",
        str(example),
        "app:app",
    ]


def served(url: str) -> bool:
    """Whether a new request gets an answer at all."""
    try:
        return requests.post(f"{url}/reports", timeout=10).ok
    except requests.ConnectionError:
        return False


def sigterm_under_load(app) -> dict:
    """Start IN_FLIGHT slow requests, SIGTERM the server while all are running, count outcomes."""
    outcomes: list[str] = []

    def request_report() -> None:
        try:
            answer = requests.post(f"{app.url}/reports", timeout=30)
            outcomes.append("completed" if answer.ok else "dropped")
        except requests.RequestException:
            outcomes.append("dropped")

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
        "completed": outcomes.count("completed"),
        "dropped": outcomes.count("dropped"),
        "new request served": new_request_served,
        "exit code": app.wait_exit(timeout=30),
    }


@claim(
    "graceful-web-shutdown",
    "SIGTERM with 6 requests in flight: gunicorn stops accepting connections, completes all "
    "6 and exits 0; waitress, with no graceful drain, drops all 6.",
)
def test_sigterm_drains_in_flight_requests(start_app):
    """Send 6 requests of 2.5 s, SIGTERM the server while they run, then count the answers."""
    bad = sigterm_under_load(start_app(f"{EXAMPLE}/bad", command=waitress_command))
    good = sigterm_under_load(start_app(f"{EXAMPLE}/good", command=gunicorn_threads_command))
    print(f"bad: {bad}\ngood: {good}")

    assert bad["completed"] == 0
    assert bad["dropped"] == IN_FLIGHT
    assert good == {
        "completed": IN_FLIGHT,
        "dropped": 0,
        "new request served": False,
        "exit code": 0,
    }
