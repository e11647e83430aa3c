"""Benchmark section: how long `proven check` takes, the figure a team pays on every push.

- A good app that passes every check it gets: the good cart twin
  (`examples/stateless-processes/cart/good`), served by plain gunicorn, with a
  throwaway Redis and token writes, so that every check runs (a restart, two
  copies, a kill -9 under traffic, a SIGTERM, malformed bodies). Target: under 45 s.
- An app that never binds its port: a process that sleeps. The kit must give up
  after `binds-port` fails and mark the rest n/a. Target: under 25 s.

Each is one run of the command as a team runs it, timed from the outside
(wall clock, and the CPU time of the command and everything it started).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from proven.paths import ROOT

Row = tuple[str, str, str]

CART = ROOT / "examples" / "stateless-processes" / "cart" / "good"

GOOD_APP = [
    "--start",
    "gunicorn --bind 127.0.0.1:$PORT app:app",
    "--redis",
    "--required",
    "REDIS_URL",
    "--write",
    "POST /cart/items",
    "--body",
    '{"item": "{token}"}',
    "--read",
    "GET /cart",
]
"""The good cart twin as its page runs it, with the kit's throwaway Redis."""

NEVER_BINDS = ["--start", "exec sleep 600"]
"""An app that starts and never listens on `PORT`."""


def timed_check(arguments: list[str], cwd: Path) -> tuple[float, float, int]:
    """Run `proven check` with `arguments` in `cwd`: wall seconds, CPU seconds, exit status."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    finished = subprocess.run(
        [sys.executable, "-m", "proven", "check", *arguments],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    return wall, cpu, finished.returncode


def measure() -> list[Row]:
    """The rows of this section: a full check of a good app, and of an app that never binds."""
    rows: list[Row] = []
    wall, cpu, status = timed_check(GOOD_APP, CART)
    rows.append(
        (
            "proven check, good cart twin (every check)",
            f"{wall:.1f} s wall, {cpu:.1f} s CPU, exit {status}",
            "< 45 s, exit 0",
        )
    )
    with tempfile.TemporaryDirectory() as folder:
        wall, cpu, status = timed_check(NEVER_BINDS, Path(folder))
    rows.append(
        (
            "proven check, an app that never binds",
            f"{wall:.1f} s wall, {cpu:.1f} s CPU, exit {status}",
            "< 25 s, exit 1",
        )
    )
    return rows


if __name__ == "__main__":
    for row in measure():
        print(" | ".join(row))
