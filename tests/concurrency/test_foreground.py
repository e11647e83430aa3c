"""Proofs for Factor VIII: a process manager can only supervise a process that stays with it."""

import os
import signal
import time

import requests

from harness import claim

EXAMPLE = "concurrency/foreground"


def wait_for(condition, timeout: float = 60.0):
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError(f"not true after {timeout} s")


def serving_pid(url: str) -> int | None:
    """The pid that answers `url`, or None when nothing answers."""
    try:
        return requests.get(url, timeout=2).json()["pid"]
    except requests.ConnectionError:
        return None


@claim(
    "foreground-supervised",
    "A server that daemonizes itself and writes a PID file exits at once as far as its "
    "process manager can tell: the manager cannot supervise it, a second copy refuses to "
    "start, and after a crash nothing restarts it; a server in the foreground is restarted "
    "by the manager within seconds.",
)
def test_manager_restarts_only_a_foreground_server(supervise):
    """Run each twin's `web` line under supervisord, then kill -9 the server that answers."""
    bad = supervise(f"{EXAMPLE}/bad")
    good = supervise(f"{EXAMPLE}/good")
    wait_for(lambda: serving_pid(bad.url) and serving_pid(good.url))

    wait_for(lambda: bad.status() == "FATAL")
    assert good.status() == "RUNNING"
    assert bad.second_copy() == (0, False)
    assert good.second_copy() == (None, True)

    crashed = serving_pid(good.url)
    for twin in (bad, good):
        os.killpg(os.getpgid(serving_pid(twin.url)), signal.SIGKILL)
    restarted = wait_for(lambda: serving_pid(good.url) not in (None, crashed))

    assert restarted
    assert wait_for(lambda: good.status() == "RUNNING")
    assert serving_pid(bad.url) is None
    assert bad.status() == "FATAL"
