"""Proofs for Factor VIII: a process manager can only supervise a process that stays with it."""

import os
import signal
import time
from pathlib import Path

import requests

from proven import claim
from proven.managers import parent_pid, processes_marked
from proven.waiting import poll, wait_for

EXAMPLE = "concurrency/foreground"


def serving_pid(url: str) -> int | None:
    """The pid that answers `url`, or None when nothing answers."""
    try:
        return requests.get(url, timeout=2).json()["pid"]
    except requests.ConnectionError:
        return None


def command_line(pid: int) -> str:
    """The command line of process `pid` (from /proc), or "" when it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def gunicorn_masters(managed) -> list[int]:
    """Pids of the gunicorn masters among the processes a manager and its copies started.

    Every process they start carries the manager's marker; a master is a gunicorn
    process whose parent is not a gunicorn process (a worker's parent is its master).
    """
    gunicorns = {pid for pid in processes_marked(managed.marker) if "gunicorn" in command_line(pid)}
    return sorted(pid for pid in gunicorns if parent_pid(pid) not in gunicorns)


def pid_file(managed) -> int | None:
    """The pid written in the app's `web.pid`, or None when there is no such file."""
    path = managed.slug / "web.pid"
    return int(path.read_text()) if path.exists() else None


def manager_log(managed) -> str:
    """What supervisord logged about its programs."""
    return (managed.root / "supervisord.log").read_text(errors="replace")


@claim(
    "foreground-supervised",
    "A server that daemonizes itself and writes a PID file exits at once as far as its "
    "process manager can tell: the manager gives up on it, a second copy refuses to start "
    "(nothing answers its port, no second server is left, the PID file still names the "
    "first), and after a crash nothing restarts it; a server in the foreground stays "
    "supervised, and the manager restarts it after a crash.",
)
def test_manager_restarts_only_a_foreground_server(supervise, observe):
    """Run each twin's `web` line under supervisord, then kill -9 the server that answers."""
    bad = supervise(f"{EXAMPLE}/bad")
    good = supervise(f"{EXAMPLE}/good")
    wait_for(lambda: serving_pid(bad.url) and serving_pid(good.url))

    # startsecs=1 and startretries=1: supervisord gives up within seconds, or never.
    wait_for(lambda: bad.status() == "FATAL", timeout=15, what="the manager to give up on bad")
    statuses = {"bad": bad.status(), "good": good.status()}
    answering = serving_pid(bad.url)
    daemon = parent_pid(answering) if answering else None  # the master of the worker answering
    recorded = pid_file(bad)
    copies = {"bad": bad.second_copy(), "good": good.second_copy()}
    # The copy's parent exits 0 whatever happens: what is left running says whether it started.
    poll(lambda: gunicorn_masters(bad) == [daemon], timeout=5)
    masters = {"bad": gunicorn_masters(bad), "good": gunicorn_masters(good)}
    recorded_after = pid_file(bad)

    crashed = serving_pid(good.url)
    for twin in (bad, good):
        os.killpg(os.getpgid(serving_pid(twin.url)), signal.SIGKILL)
    killed_at = time.monotonic()
    wait_for(lambda: serving_pid(good.url) not in (None, crashed))
    back_after = time.monotonic() - killed_at
    wait_for(lambda: good.status() == "RUNNING")
    restarted = serving_pid(good.url)
    after = {"bad": (serving_pid(bad.url), bad.status()), "good": (restarted, good.status())}

    def told(twin: str) -> str:
        code, answers = copies[twin]
        copy = "kept running and answered" if code is None else f"exited {code}"
        copy += "" if answers else ", nothing answered"
        copy += f", gunicorn masters left: {len(masters[twin])}"
        if twin == "bad":
            copy += f", PID file still names the first: {recorded == recorded_after == daemon}"
        pid, status = after[twin]
        crash = f"new pid {pid} answering {back_after:.1f} s later" if pid else "nothing answered"
        return (
            f"manager said {statuses[twin]}; a second copy {copy}; after kill -9: {crash}, {status}"
        )

    observe(bad=told("bad"), good=told("good"))

    assert "exited: web (exit status 0; not expected)" in manager_log(bad)
    assert statuses == {"bad": "FATAL", "good": "RUNNING"}
    assert copies == {"bad": (0, False), "good": (None, True)}
    assert daemon is not None and recorded == recorded_after == daemon
    assert masters["bad"] == [daemon]  # the copy left no server of its own
    assert len(masters["good"]) == 2  # the supervised server and the copy
    assert after["good"][0] not in (None, crashed) and after["good"][1] == "RUNNING"
    assert after["bad"] == (None, "FATAL")
