"""Every verdict of `proven check` is a claim: the kit on small apps whose truth is known.

Each test runs the command as a team runs it, on a tiny `wsgiref` (or
gunicorn) app written to a temporary folder, and asserts each check's
outcome: an echo service whose read never shows a write, a good app whose
copies share their state through Redis but print their own port
(`redis-notes/`), an app that keeps its data under `/tmp` or `/var/lib`, an
app that needs its setup's database, an
app that is broken before any check sends anything, an app behind a login, a
gunicorn that forks dying workers forever, an app that never answers, and a
read that needs a field the write does not give.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from proven.check import checks
from proven.check.checks import Runner, run_check
from proven.check.isolation import Isolation, available
from proven.check.target import Request, Target

STATE_CHECKS = ("restart-keeps-writes", "copies-share-writes", "kill-9-keeps-writes")
"""The checks that write and read the app's state."""

HEAD = """\
import json
import os
import sys
from wsgiref.simple_server import make_server


def answer(start_response, status, body, headers=()):
    start_response(status, [("Content-Type", "application/json"), *headers])
    return [json.dumps(body).encode()]


def text_of(environ):
    try:
        body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    except (ValueError, RecursionError):
        return None
    text = body.get("text") if isinstance(body, dict) else None
    return text if isinstance(text, str) and 0 < len(text) <= 200 else None


def write_note(environ, start_response, notes):
    text = text_of(environ)
    if text is None:
        return answer(start_response, "400 Bad Request", {"error": "send {'text': ...}"})
    notes.append(text)
    return answer(start_response, "201 Created", {"text": text})


"""
"""What every app here starts with: JSON answers, the `text` of a body like {"text": "..."},
and a POST that adds it to a list of notes (a 400 when there is none)."""

SERVE = """
make_server("127.0.0.1", int(os.environ["PORT"]), app).serve_forever()
"""


def kit(
    folder: Path, server: str, options: list[str], start: str = f"{sys.executable} server.py"
) -> tuple[int, dict[str, dict], str]:
    """Save `server` as server.py in `folder` and run the kit on it with `start` and `options`.

    Returns the exit status, each check's result from the JSON report by id,
    and what the command printed.
    """
    (folder / "server.py").write_text(server)
    data = folder.parent / f"{folder.name}-report.json"
    ran = subprocess.run(
        [sys.executable, "-m", "proven", "check", "--start", start]
        + [*options, "--json", str(data)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=180,
    )
    said = ran.stdout + ran.stderr
    results = json.loads(data.read_text())["results"] if data.exists() else []
    return ran.returncode, {r["check"]: r for r in results}, said


def only(*ids: str) -> list[str]:
    """`--check` options for these checks."""
    return [option for check in ids for option in ("--check", check)]


NOTES = ["--write", "POST /notes", "--body", '{"text": "{token}"}', "--read", "GET /notes"]
"""Write a note holding the token; read them all."""


ECHO = (
    HEAD
    + """
def app(environ, start_response):
    text_of(environ)
    host = environ.get("HTTP_HOST", "")
    return answer(start_response, "200 OK", {"path": environ["PATH_INFO"], "url": f"http://{host}/"})
"""
    + SERVE
)
"""An echo service: it answers each request with its own path and URL, and keeps nothing."""


def test_a_read_that_never_shows_writes_makes_every_state_check_not_applicable(tmp_path: Path):
    """Decided once, the same way: no state check passes or fails an app it cannot see into."""
    options = ["--write", "POST /post", "--body", '{"text": "{token}"}', "--read", "GET /get"]
    code, found, said = kit(tmp_path, ECHO, options + only(*STATE_CHECKS))
    assert code == 0, said
    assert {check: found[check]["status"] for check in STATE_CHECKS} == dict.fromkeys(
        STATE_CHECKS, "n/a"
    ), said
    reasons = {found[check]["observed"].split(" (")[0] for check in STATE_CHECKS}
    assert reasons == {"the read right after a write does not show its token"}, said


GOOD = Path(__file__).parent / "redis-notes"
"""Notes in Redis, every answer naming the copy's own address: an app that passes."""


def test_a_good_app_passes_though_each_copy_names_its_own_port(tmp_path: Path):
    """Judged by the token, copies that print their own `Host` still agree on what was written;
    the whole kit calls this good app good (the drain is n/a: no slow request is named)."""
    data = tmp_path / "report.json"
    ran = subprocess.run(
        [sys.executable, "-m", "proven", "check", "--config", "proven.toml"]
        + ["--start", f"{sys.executable} server.py", "--json", str(data)],
        cwd=GOOD,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    found = {r["check"]: r["status"] for r in json.loads(data.read_text())["results"]}
    expected = dict.fromkeys(checks.CHECKS, "pass") | {"sigterm-drains": "n/a"}
    assert found == expected, ran.stdout


IN_MEMORY = (
    HEAD
    + """
notes = []


def app(environ, start_response):
    if environ["REQUEST_METHOD"] == "POST":
        return write_note(environ, start_response, notes)
    return answer(start_response, "200 OK", {"about": "notes " * 30, "notes": notes})
"""
    + SERVE
)
"""Notes in the process, after a long first field: copies disagree past the 60th character."""


def test_copies_that_disagree_are_shown_where_they_differ(tmp_path: Path):
    """The report shows the part of the two answers that differs, not their common start."""
    code, found, said = kit(tmp_path, IN_MEMORY, [*NOTES, *only("copies-share-writes")])
    assert code == 1, said
    observed = found["copies-share-writes"]["observed"]
    assert '"notes": ["k' in observed and '"notes": []' in observed, observed


ON_DISK = (
    HEAD
    + """
FILE = os.environ["NOTES_FILE"]


def app(environ, start_response):
    if environ["REQUEST_METHOD"] == "POST":
        text = text_of(environ)
        if text is None:
            return answer(start_response, "400 Bad Request", {"error": "send {'text': ...}"})
        os.makedirs(os.path.dirname(FILE), exist_ok=True)
        with open(FILE, "a") as notes:
            notes.write(text + "\\n")
        return answer(start_response, "201 Created", {"text": text})
    try:
        with open(FILE) as notes:
            found = notes.read().split()
    except FileNotFoundError:
        found = []
    return answer(start_response, "200 OK", {"notes": found})
"""
    + SERVE
)
"""Notes in a file at an absolute path outside the app's folder (`NOTES_FILE`)."""


@pytest.mark.parametrize("where", ["/tmp", "/var/lib"])
def test_state_outside_the_folder_is_lost_as_on_two_hosts(tmp_path: Path, where: str):
    """Each copy gets a private disk outside its folder: state kept there fails every state check,
    and nothing it wrote there is left on this machine."""
    if not available():
        pytest.skip(f"no isolation on this machine: {available().why_not}")
    path = Path(where) / f"proven-notes-{uuid.uuid4().hex}" / "notes.txt"
    code, found, said = kit(
        tmp_path, ON_DISK, ["--env", f"NOTES_FILE={path}", *NOTES, *only(*STATE_CHECKS)]
    )
    assert code == 1, said
    assert {check: found[check]["status"] for check in STATE_CHECKS} == dict.fromkeys(
        STATE_CHECKS, "fail"
    ), said
    assert not path.parent.exists()


def test_without_isolation_a_pass_says_what_it_cannot_see(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Where copies share the disk, a state check that passes says that it could not tell."""
    monkeypatch.setattr(checks, "available", lambda: Isolation("", "not here"))
    (tmp_path / "server.py").write_text(ON_DISK)
    target = Target(
        start="python3 server.py",
        cwd=tmp_path,
        env={"NOTES_FILE": str(tmp_path / "shared" / "notes.txt")},
        write=Request.parse("POST /notes", body='{"text": "{token}"}'),
        read=Request.parse("GET /notes"),
    )
    with Runner(target) as runner:
        found = run_check("copies-share-writes", runner)
    assert found.status == "pass", found
    assert "state outside the folder is not caught" in found.observed, found


SQLITE = (
    HEAD
    + """
import sqlite3

db = sqlite3.connect("notes.db", check_same_thread=False)


def app(environ, start_response):
    count = db.execute("select count(*) from notes").fetchone()[0]  # no table: a 500
    if environ["REQUEST_METHOD"] == "POST":
        text = text_of(environ)
        if text is None:
            return answer(start_response, "400 Bad Request", {"error": "send {'text': ...}"})
        db.execute("insert into notes values (?)", (text,))
        db.commit()
        return answer(start_response, "201 Created", {"text": text, "count": count + 1})
    notes = [row[0] for row in db.execute("select text from notes")]
    return answer(start_response, "200 OK", {"notes": notes})
"""
    + SERVE
)
"""Notes in SQLite, in the app's folder: its setup creates the table, or every request fails."""

RELEASE = 'import sqlite3\n\nsqlite3.connect("notes.db").execute("create table notes (text)")\n'
"""The release: create the table the app needs, in the app's folder."""


def test_setup_is_a_release_the_app_starts_from(tmp_path: Path):
    """The database the setup creates is there when the app starts; only the restart loses it,
    as a fresh copy of the folder does, and the setup's file is not taken for a log file."""
    checked = ("binds-port", "restart-keeps-writes", "logs-to-stdout", "malformed-input")
    (tmp_path / "release.py").write_text(RELEASE)
    release = "python3 -c 'print(\"release\")' && python3 release.py"  # two steps, both run
    options = ["--setup", release, *NOTES, *only(*checked)]
    code, found, said = kit(tmp_path, SQLITE, options)
    assert code == 1, said
    statuses = {check: found[check]["status"] for check in checked}
    assert statuses == {
        "binds-port": "pass",
        "restart-keeps-writes": "fail",
        "logs-to-stdout": "pass",
        "malformed-input": "pass",
    }, said
    assert '["k' in found["restart-keeps-writes"]["observed"], said


BROKEN_HOME = (
    HEAD
    + """
notes = []


def app(environ, start_response):
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    if path == "/":
        raise RuntimeError("the home page is broken")
    if method == "POST":
        return write_note(environ, start_response, notes)
    return answer(start_response, "200 OK", {"notes": notes})
"""
    + SERVE
)
"""An app whose home page crashes (a 500 and a stack trace in its log) before any check runs."""


def test_a_failure_from_before_the_check_is_said_and_not_blamed_on_it(tmp_path: Path):
    """malformed-input does not count the stack trace of the readiness request; a check that
    fails says the app was failing before it sent anything."""
    checked = ("restart-keeps-writes", "malformed-input")
    code, found, said = kit(tmp_path, BROKEN_HOME, [*NOTES, *only(*checked)])
    assert code == 1, said
    assert found["malformed-input"]["status"] == "pass", said
    restart = found["restart-keeps-writes"]
    assert restart["status"] == "fail", said
    assert restart["observed"].startswith("the app answered 500 to GET / before this check"), said


LOGIN = (
    HEAD
    + """
notes = []


def app(environ, start_response):
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    if path == "/login" and method == "POST":
        body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        if body != {"user": "ci", "password": "pw"}:
            return answer(start_response, "403 Forbidden", {"error": "wrong password"})
        return answer(start_response, "200 OK", {}, [("Set-Cookie", "session=ci; Path=/")])
    signed_in = "session=ci" in environ.get("HTTP_COOKIE", "")
    if not signed_in and environ.get("HTTP_AUTHORIZATION") != "Bearer t0ken":
        return answer(start_response, "401 Unauthorized", {"error": "sign in"})
    if method == "POST":
        return write_note(environ, start_response, notes)
    return answer(start_response, "200 OK", {"notes": notes})
"""
    + SERVE
)
"""Notes in the process, behind a login (a cookie) or a bearer token."""


@pytest.mark.parametrize(
    "signed_in",
    [
        ["--login", "POST /login", "--login-body", '{"user": "ci", "password": "pw"}'],
        ["--header", "Authorization: Bearer t0ken"],
    ],
    ids=["login", "header"],
)
def test_an_app_with_accounts_is_checked_signed_in(tmp_path: Path, signed_in: list[str]):
    """Signed in, the kit's writes go through, and the restart shows what the app really loses."""
    code, found, said = kit(tmp_path, LOGIN, [*signed_in, *NOTES, *only("restart-keeps-writes")])
    assert code == 1, said
    restart = found["restart-keeps-writes"]
    assert restart["status"] == "fail" and "answered 201" in restart["observed"], said


def test_a_refused_login_is_an_option_to_fix(tmp_path: Path):
    """A login that the app refuses with a 4xx exits 2, saying so."""
    wrong = ["--login", "POST /login", "--login-body", '{"user": "ci", "password": "no"}']
    code, _, said = kit(tmp_path, LOGIN, [*wrong, *NOTES, *only("restart-keeps-writes")])
    assert code == 2 and "--login POST /login answered 403" in said, said


def test_a_crash_loop_fails_fails_fast_without_required(tmp_path: Path):
    """gunicorn forking workers that exit at import, forever: a crash loop, whatever its cause."""
    (tmp_path / "app.py").write_text('import sys\n\nsys.exit("no DATABASE_URL: cannot start")\n')
    start = f"{sys.executable} -m gunicorn --bind 127.0.0.1:$PORT --no-control-socket app:app"
    options = ["--start-timeout", "10", *NOTES, *only(*checks.CHECKS)]
    code, found, said = kit(tmp_path, "", options, start=start)
    assert code == 1, said
    assert "crash loop" in found["binds-port"]["observed"], said
    assert "no DATABASE_URL" in found["binds-port"]["observed"], said
    assert found["fails-fast"]["status"] == "fail", said
    rest = set(checks.CHECKS) - {"binds-port", "fails-fast"}
    assert {found[check]["status"] for check in rest} == {"n/a"}, said


def test_an_app_that_never_answers_is_reported_once(tmp_path: Path):
    """After binds-port fails, the checks that need an answer are n/a, not each a 20 s failure."""
    server = "import time\n\ntime.sleep(600)\n"
    code, found, said = kit(tmp_path, server, ["--start-timeout", "3", *NOTES])
    assert code == 1, said
    assert found["binds-port"]["status"] == "fail", said
    rest = set(checks.CHECKS) - {"binds-port"}
    assert {found[check]["status"] for check in rest} == {"n/a"}, said
    assert "the app never answered" in found["startup-time"]["observed"], said


NO_ID = (
    HEAD
    + """
def app(environ, start_response):
    if environ["REQUEST_METHOD"] == "POST":
        return answer(start_response, "201 Created", {"ok": True})
    return answer(start_response, "404 Not Found", {"error": "no such item"})
"""
    + SERVE
)
"""An app whose write answers without an `id`."""


def test_a_read_that_needs_a_field_the_write_does_not_give_exits_2(tmp_path: Path):
    """`--read "GET /items/{id}"` against a write with no `id` in its answer is an option to fix."""
    options = ["--write", "POST /items", "--body", '{"text": "{token}"}']
    options += ["--read", "GET /items/{id}", *only("restart-keeps-writes")]
    code, _, said = kit(tmp_path, NO_ID, options)
    assert code == 2, said
    assert "GET /items/{id} takes id from the write's JSON answer" in said, said


def test_an_unprivileged_user_gets_a_private_disk_too():
    """Without root, the copy's namespace is a user namespace: its writes to /tmp stay private."""
    python, setpriv = Path("/usr/bin/python3"), shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None or not python.is_file():
        pytest.skip("needs root, setpriv and /usr/bin/python3 to become an unprivileged user")
    note = Path("/tmp") / f"proven-private-{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory() as folder:  # in /tmp, where the user may enter it
        Path(folder).chmod(0o777)
        argv = Isolation("user and mount namespace").wrap(
            ["/bin/sh", "-c", f"echo kept > {note} && cat {note}"], Path(folder), ["/tmp"]
        )
        argv[0] = str(python)  # a Python the unprivileged user may run
        ran = subprocess.run(
            [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *argv],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert (ran.returncode, ran.stdout) == (0, "kept\n"), ran.stderr
    assert not note.exists()
