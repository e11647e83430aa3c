"""`proven check` on an app that is not Flask: notes served by the standard library's wsgiref.

The app (`wsgi-notes/server.py`) binds PORT, stops without it, logs to stderr
and refuses malformed bodies, but keeps its notes in the process. The kit,
run as a team runs it (`python -m proven check --config proven.toml`), must
say exactly that, exit 1, and write both reports. Its Markdown report is the
sample shown on the page "Prove your own app".
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from proven.check.checks import NOT_AN_OBJECT
from proven.observations import UPDATE_OPTION
from proven.paths import TESTS_DIR

APP = TESTS_DIR / "prove-your-own-app" / "wsgi-notes"
SAMPLE = TESTS_DIR / "prove-your-own-app" / "sample-report.md"

EXPECTED = {
    "binds-port": "pass",
    "startup-time": "pass",
    "fails-fast": "pass",
    "restart-keeps-writes": "fail",
    "copies-share-writes": "fail",
    "kill-9-keeps-writes": "fail",
    "sigterm-drains": "n/a",
    "logs-to-stdout": "pass",
    "malformed-input": "pass",
}
"""What the kit must find: the three checks that need state outside the process fail; with no
slow request named, nothing is in flight at SIGTERM, so a drain cannot be shown; the rest pass."""


def outcomes(markdown: str) -> list[str]:
    """The Result column of a Markdown report, row by row."""
    return re.findall(r"^\| \[[^]]+\]\([^)]+\) \| [^|]+ \| ([^|]+) \|", markdown, re.MULTILINE)


def test_kit_on_a_wsgiref_app(tmp_path: Path, pytestconfig: pytest.Config):
    """The command exits 1, and its JSON and Markdown reports hold each check's outcome."""
    report, data = tmp_path / "report.md", tmp_path / "report.json"
    ran = subprocess.run(
        [sys.executable, "-m", "proven", "check", "--config", "proven.toml"]
        + ["--markdown", str(report), "--json", str(data)],
        cwd=APP,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 1, ran.stdout + ran.stderr
    found = json.loads(data.read_text())
    assert found["passed"] is False
    assert {r["check"]: r["status"] for r in found["results"]} == EXPECTED, ran.stdout
    numbers = {r["check"]: r["numbers"] for r in found["results"]}
    assert numbers["startup-time"]["seconds"] == numbers["binds-port"]["seconds"], (
        "startup-time measures the start binds-port made, not one more"
    )
    kill = next(r for r in found["results"] if r["check"] == "kill-9-keeps-writes")
    assert kill["numbers"]["lost_before"] == kill["numbers"]["before"] > 0
    site = "https://twelve-factor-proven.netlify.app/"
    assert all(result["url"].startswith(site) for result in found["results"])
    written = report.read_text()
    marks = {"pass": "pass", "fail": "**FAIL**", "n/a": "n/a"}
    assert outcomes(written) == [marks[status] for status in EXPECTED.values()]
    if pytestconfig.getoption(UPDATE_OPTION):
        SAMPLE.write_text(written)
    command = f".venv/bin/pytest tests/prove-your-own-app {UPDATE_OPTION}"
    assert SAMPLE.is_file(), f"{SAMPLE} is missing: run {command}"
    assert outcomes(SAMPLE.read_text()) == outcomes(written), f"{SAMPLE} is stale: run {command}"


def one_failed_check(folder: Path, server: str, options: list[str]) -> dict:
    """Run the kit on `server` (saved as server.py in `folder`) with `options` naming one check.

    Asserts that the command exits 1 and its JSON report holds that one check, failed;
    returns the check's result.
    """
    (folder / "server.py").write_text(server)
    data = folder / "report.json"
    ran = subprocess.run(
        [sys.executable, "-m", "proven", "check", "--start", "python3 server.py"]
        + [*options, "--json", str(data)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 1, ran.stdout + ran.stderr
    [result] = json.loads(data.read_text())["results"]
    assert result["status"] == "fail", result
    return result


LENIENT = """\
import os
from wsgiref.simple_server import make_server


def app(environ, start_response):
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("201 Created", [("Content-Type", "application/json")])
    return [b"{}"]


make_server("127.0.0.1", int(os.environ["PORT"]), app).serve_forever()
"""
"""An app that answers 201 to any request: it never crashes, and it accepts anything."""


def test_kit_fails_an_app_that_accepts_what_is_not_json(tmp_path: Path):
    """malformed-input fails an app that accepts each of the bodies that are not a JSON object.

    Its twin is the notes app above: it refuses every one of them and passes.
    """
    result = one_failed_check(
        tmp_path,
        LENIENT,
        ["--write", "POST /notes", "--body", '{"text": "{token}"}', "--check", "malformed-input"],
    )
    numbers = result["numbers"]
    assert numbers["not an object"] == len(NOT_AN_OBJECT), result
    assert numbers["5xx"] == numbers["trace"] == numbers["no answer"] == 0, result


DEAF = """\
import os
import signal
from wsgiref.simple_server import make_server


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


signal.signal(signal.SIGTERM, signal.SIG_IGN)
make_server("127.0.0.1", int(os.environ["PORT"]), app).serve_forever()
"""
"""An app that ignores SIGTERM: a platform has to kill it at the end of its grace period."""


def test_kit_fails_an_app_that_outlives_sigterm(tmp_path: Path):
    """sigterm-drains with no slow request fails an app still running after the grace period.

    Its twin is the notes app above: it exits at once, and with nothing in flight the check
    is not applicable rather than passed.
    """
    result = one_failed_check(tmp_path, DEAF, ["--check", "sigterm-drains", "--grace", "2"])
    assert result["numbers"]["exit_code"] is None, result
    assert "still running 2 s after SIGTERM" in result["observed"], result


def test_kit_refuses_what_it_cannot_run(tmp_path: Path):
    """Without a start command, or with an unknown check, it exits 2 and says what is missing."""
    for args, said in (
        (["--write", "POST /notes"], "say how to start the app"),
        (["--start", "python3 server.py", "--check", "no-such-check"], "no check named"),
    ):
        ran = subprocess.run(
            [sys.executable, "-m", "proven", "check", *args],
            cwd=APP,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert ran.returncode == 2 and said in ran.stderr, ran.stderr
