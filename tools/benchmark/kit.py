"""Benchmark section: how long `proven check` takes, as a team's CI job waits for it.

- A good app: the kit's `redis-notes` app (notes in Redis, every check
  passes but the drain, which is n/a without a slow request), all nine
  checks, one run of the command from the outside. Target: under 45 s.
- An app that never binds its port (it sleeps): `binds-port` waits out its
  20 s, and every check that needs an answer is n/a. Target: under 25 s.

Nothing here is a test: a slow machine prints a slow figure.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from proven.paths import TESTS_DIR

Row = tuple[str, str, str]

GOOD = TESTS_DIR / "prove-your-own-app" / "redis-notes"
"""The good app: its `proven.toml`, started with this Python (which has the redis client)."""


def timed(args: list[str], cwd: Path) -> tuple[float, str]:
    """Run `python -m proven check ARGS` in `cwd`: seconds, and its summary line."""
    began = time.monotonic()
    ran = subprocess.run(
        [sys.executable, "-m", "proven", "check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    seconds = time.monotonic() - began
    return seconds, (ran.stdout.strip().splitlines() or ["(no output)"])[-1]


def measure() -> list[Row]:
    """The rows of this section: a full check of a good app, and of an app that never binds."""
    good, summary = timed(
        ["--config", "proven.toml", "--start", f"{sys.executable} server.py"], GOOD
    )
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "server.py").write_text("import time\n\ntime.sleep(600)\n")
        options = ["--write", "POST /notes", "--body", '{"text": "{token}"}']
        never, never_summary = timed(
            ["--start", f"{sys.executable} server.py", *options, "--read", "GET /notes"],
            Path(folder),
        )
    return [
        (f"proven check, a good app ({summary})", f"{good:.1f} s", "< 45 s"),
        (f"proven check, an app that never binds ({never_summary})", f"{never:.1f} s", "< 25 s"),
    ]


if __name__ == "__main__":
    for row in measure():
        print(" | ".join(row))
