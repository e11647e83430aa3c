"""Proofs for Factor VII: a port from the environment vs a port written into the code."""

import sys
import time
from pathlib import Path

import pytest
import requests

from harness import AppProcess, claim
from harness.services import free_port

EXAMPLE = "port-binding/port"
FIXED_PORT = 5917
"""The port the bad twin writes into its code (unusual, so that test runs rarely meet it)."""


def serve_itself(example: Path, port: int) -> list[str]:
    """The command a Procfile platform runs: `python app.py`, with the port in `PORT`."""
    return [sys.executable, str(example / "app.py")]


def two_free_ports() -> tuple[int, int]:
    """Two different ports that nothing listens on right now."""
    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


def hello(port: int) -> str:
    """The greeting the process listening on `port` answers."""
    answer = requests.get(f"http://127.0.0.1:{port}/hello", params={"name": "Ada"}, timeout=5)
    return answer.json()["greeting"]


@claim(
    "port-from-env",
    "Started twice from the same files with two values of PORT, the good app runs as two "
    "processes side by side; the bad app ignores PORT, and its second copy fails with "
    '"Address already in use".',
)
def test_two_copies_run_side_by_side_only_with_port_from_env(start_app):
    """Start two copies of each twin, each given its own free port in PORT, and greet each."""
    ports = two_free_ports()
    good = [
        start_app(f"{EXAMPLE}/good", env={"PORT": str(p)}, command=serve_itself, port=p)
        for p in ports
    ]
    assert [hello(p) for p in ports] == ["Hello, Ada!", "Hello, Ada!"]
    assert good[0].pid != good[1].pid

    ports = two_free_ports()
    first = start_app(
        f"{EXAMPLE}/bad", env={"PORT": str(ports[0])}, command=serve_itself, port=FIXED_PORT
    )
    assert f"Listening at: http://0.0.0.0:{FIXED_PORT} ({first.pid})" in first.output()
    with pytest.raises(requests.ConnectionError):
        hello(ports[0])
    second = AppProcess(f"{EXAMPLE}/bad", env={"PORT": str(ports[1])}, command=serve_itself)
    try:
        second.spawn()
        deadline = time.monotonic() + 10
        while "Address already in use" not in second.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert f"connection to ('0.0.0.0', {FIXED_PORT}) failed" in second.output()
        assert "Address already in use" in second.output()
        with pytest.raises(requests.ConnectionError):
            hello(ports[1])
    finally:
        second.kill()  # it would retry the port for five seconds before giving up
        second.close()
