"""The checks of `proven check`: one function per behaviour the site proves.

Each check starts the app as real processes through a
[`Runner`][proven.check.checks.Runner] (copies of the harness's
[`AppProcess`][proven.processes.AppProcess], each in a fresh copy of the code,
with a free port in `PORT` and, on Linux, a private disk outside its folder),
does what the matching proof does, and returns a
[`Verdict`][proven.check.checks.Verdict]: pass, fail or not applicable, with
what it observed in numbers. A check is registered once, by the
[`check`][proven.check.checks.check] decorator, with its title, its factors
and the page of the site that explains it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from proven.check.isolation import Isolation, available, private_folders
from proven.check.target import TOKEN, Findings, Request, Target, TargetError, new_token
from proven.cluster import RoundRobin
from proven.hygiene import remove_leftovers
from proven.processes import AppFailedToStart, AppProcess, close_all
from proven.services import free_port
from proven.traffic import crash_under_traffic
from proven.waiting import poll

SITE = "https://twelve-factor-proven.netlify.app/"
"""The site whose pages explain each check."""

PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "n/a"
"""The three outcomes of a check."""

TRACEBACK = "Traceback (most recent call last)"
"""What a Python stack trace starts with; an answer must never hold one."""

LOOP_DEATHS = 5
"""Children of one command line that die while nothing answers: a crash loop."""


@dataclass(frozen=True)
class Verdict:
    """What a check function finds: its outcome, one line of what it observed, the numbers.

    Example:
        ```python
        from proven.check.checks import Verdict

        assert Verdict("n/a", "needs a write (--write)").numbers == {}
        ```
    """

    status: str
    """`pass`, `fail` or `n/a`."""
    observed: str
    """What the check saw, in one line, with numbers."""
    numbers: Mapping[str, Any] = field(default_factory=dict)
    """The same observations as values, for the JSON report."""


@dataclass(frozen=True)
class Result:
    """What one check found: its outcome, one line of what it observed, and the numbers.

    Example:
        ```python
        from proven.check.checks import Result

        found = Result("binds-port", "pass", "answered on PORT=8000", {"port": 8000})
        assert found.passed and found.url.endswith("/port-binding/")
        ```
    """

    check: str
    """The check's id, such as `binds-port`."""
    status: str
    """`pass`, `fail` or `n/a`."""
    observed: str
    """What the check saw, in one line, with numbers."""
    numbers: Mapping[str, Any] = field(default_factory=dict)
    """The same observations as values, for the JSON report."""

    @property
    def passed(self) -> bool:
        """Whether the check did not fail (a check that does not apply does not fail)."""
        return self.status != FAIL

    @property
    def url(self) -> str:
        """The page of the site that explains this check's factor."""
        return SITE + CHECKS[self.check].page + "/"


@dataclass(frozen=True)
class Check:
    """One check: its id, what it shows, the factors it is about and the page that explains it.

    Example:
        ```python
        from proven.check.checks import CHECKS

        assert CHECKS["binds-port"].factors == "VII"
        assert CHECKS["binds-port"].page == "port-binding"
        ```
    """

    id: str
    title: str
    factors: str
    page: str
    run: Callable[[Runner], Verdict]
    needs_answer: bool = True
    """Whether it needs the app to answer (n/a once `binds-port` found that nothing does)."""


CHECKS: dict[str, Check] = {}
"""Every check, by id, in the order the kit runs them (the order they are defined in)."""


def check(
    id: str, title: str, factors: str, page: str, needs_answer: bool = True
) -> Callable[[Callable[[Runner], Verdict]], Callable[[Runner], Verdict]]:
    """Register the decorated function as the check `id`, in `CHECKS`.

    Example:
        ```python
        from proven.check.checks import CHECKS

        assert list(CHECKS)[:2] == ["binds-port", "startup-time"]
        assert CHECKS["startup-time"].run.__name__ == "startup_time"
        ```
    """

    def register(run: Callable[[Runner], Verdict]) -> Callable[[Runner], Verdict]:
        if id in CHECKS:
            raise ValueError(f"two checks named {id}")
        CHECKS[id] = Check(id, title, factors, page, run, needs_answer)
        return run

    return register


def shell(command: str) -> list[str]:
    """The argv that runs `command` with `/bin/sh`, as `exec command`.

    `exec` makes the app itself the process that gets SIGTERM and SIGKILL, as
    a Procfile platform does, rather than a shell that would not pass them on.

    Example:
        ```python
        from proven.check.checks import shell

        assert shell("gunicorn app:app") == ["/bin/sh", "-c", "exec gunicorn app:app"]
        ```
    """
    return ["/bin/sh", "-c", f"exec {command}"]


def answers(url: str) -> bool:
    """Whether anything answers HTTP at `url` (any status).

    Example:
        ```python
        from proven.check.checks import answers
        from proven.services import free_port

        assert not answers(f"http://127.0.0.1:{free_port()}/")
        ```
    """
    try:
        requests.get(url, timeout=2)
    except requests.RequestException:
        return False
    return True


def last_line(text: str) -> str:
    r"""The last non-empty line a process printed, shortened: what a failure shows.

    Example:
        ```python
        from proven.check.checks import last_line

        assert last_line("Starting\nREDIS_URL must be set\n\n") == "REDIS_URL must be set"
        ```
    """
    return last_lines(text, 1)


def last_lines(text: str, count: int = 3) -> str:
    r"""The last `count` non-empty lines a process printed, joined by ` / `, each shortened.

    Example:
        ```python
        from proven.check.checks import last_lines

        assert last_lines("a\nb\n\nc\n", 2) == "b / c"
        assert last_lines("") == "(nothing printed)"
        ```
    """
    lines = [line.strip()[:160] for line in text.splitlines() if line.strip()]
    return " / ".join(lines[-count:]) or "(nothing printed)"


def difference(first: str, second: str, around: int = 30, most: int = 160) -> tuple[str, str]:
    """The part where two texts differ, with `around` characters of context, from each.

    Each part is on one line (runs of white space become one space) and holds
    at most `most` characters.

    Example:
        ```python
        from proven.check.checks import difference

        one, two = '{"notes": ["a", "b"], "by": "me"}', '{"notes": ["a"], "by": "me"}'
        assert difference(one, two, around=4) == ('...["a", "b"], "...', '...["a"], "...')
        ```
    """
    start = next(
        (i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b),
        min(len(first), len(second)),
    )
    tail = 0
    while tail < min(len(first), len(second)) - start and first[-1 - tail] == second[-1 - tail]:
        tail += 1

    def cut(text: str) -> str:
        begin, end = max(0, start - around), len(text) - tail + around
        part = " ".join(text[begin:end].split())
        part = part[:most] + ("..." if len(part) > most else "")
        return ("..." if begin else "") + part + ("..." if end < len(text) else "")

    return cut(first), cut(second)


def descendants(pid: int) -> dict[int, str]:
    """The processes below `pid` (children, theirs, ...) with their command lines, from /proc.

    Example:
        ```python
        import subprocess

        from proven.check.checks import descendants
        from proven.waiting import wait_for

        shell = subprocess.Popen(["sh", "-c", "sleep 30 & wait"])
        found = wait_for(lambda: descendants(shell.pid), timeout=10)
        assert list(found.values()) == ["sleep 30"]
        shell.kill()
        shell.wait()
        ```
    """
    children: dict[int, list[int]] = {}
    try:
        entries = list(os.scandir("/proc"))
    except OSError:  # no /proc (macOS): no process tree to watch
        return {}
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                parent = int(stat.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found: dict[int, str] = {}
    waiting = list(children.get(pid, []))
    while waiting:
        child = waiting.pop()
        try:
            with open(f"/proc/{child}/cmdline", "rb") as cmdline:
                found[child] = cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        waiting.extend(children.get(child, []))
    return found


class CrashWatch(threading.Thread):
    """Watches a starting app's process tree: children that start and die, by command line.

    A server that keeps forking workers that die at once (a gunicorn worker
    that cannot import the app, say) never answers and never exits: the kit
    calls it a crash loop when `LOOP_DEATHS` children of one command line,
    running the app's own executable, have died while the app's process ran
    the program it runs now. Other programs it runs (a `sleep` in a loop that
    waits for a database) and the children of a launcher that then `exec`s
    the server (a pyenv shim) do not count.

    Example:
        ```python
        import subprocess
        import time

        from proven.check.checks import CrashWatch

        loop = "sleep 0.5; while true; do sh -c 'sleep 0.2; exit 3'; sleep 0.1; done"
        shell = subprocess.Popen(["sh", "-c", loop])
        watch = CrashWatch(shell.pid)
        watch.start()
        time.sleep(3)
        watch.stop()
        shell.kill()
        shell.wait()
        assert "(sh -c sleep 0.2; exit 3)" in watch.loop()
        ```
    """

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.began = time.monotonic()
        self.died: Counter[tuple[str, str]] = Counter()
        """Children that died, by (their command line, the app's own command line then)."""
        self.program = ""
        """The app's own command line when last seen."""
        self._stopped = threading.Event()

    def run(self) -> None:
        seen: dict[int, tuple[str, str]] = {}
        while not self._stopped.wait(self.interval):
            try:
                with open(f"/proc/{self.pid}/cmdline", "rb") as cmdline:
                    program = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                return
            if not program:  # a zombie: it has exited
                return
            self.program = program
            own = _exe(self.pid)
            alive = descendants(self.pid)
            for pid in set(seen) - set(alive):
                self.died[seen.pop(pid)] += 1
            for pid, command in alive.items():
                if pid not in seen and _exe(pid) == own:
                    seen[pid] = (command, self.program)

    def stop(self) -> None:
        """Stop watching (and wait for the thread)."""
        self._stopped.set()
        if self.is_alive():
            self.join()

    def loop(self) -> str:
        """What a crash loop looked like, or `""` when there was none."""
        deaths = Counter(
            {command: n for (command, program), n in self.died.items() if program == self.program}
        )
        if not deaths:
            return ""
        command, count = deaths.most_common(1)[0]
        if count < LOOP_DEATHS:
            return ""
        seconds = time.monotonic() - self.began
        return (
            f"crash loop: {count} child processes ({command[:80]}) started and died "
            f"in {seconds:.0f} s"
        )


def _exe(pid: int) -> str:
    """The executable process `pid` runs, or `""` once it is gone."""
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


class SetupFailed(RuntimeError):
    """The setup command exited non-zero, or did not exit in time.

    Example:
        ```python
        from proven.check.checks import SetupFailed

        assert "exited 1" in str(SetupFailed("setup exited 1: no such command"))
        ```
    """


def run_setup(command: str, folder: Path, env: Mapping[str, str], argv: list[str]) -> str:
    """Run the setup `command` (as `argv` runs it) in `folder` to its end; `SetupFailed` if not.

    Returns what it printed. `env` is the whole environment it runs with.
    """
    try:
        ran = subprocess.run(
            argv,
            cwd=folder,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=120,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired as error:
        said = (error.output or b"").decode(errors="replace")
        raise SetupFailed(
            f"setup {command!r} did not exit within 120 s: {last_lines(said)}"
        ) from None
    said = ran.stdout.decode(errors="replace")
    if ran.returncode != 0:
        raise SetupFailed(f"setup {command!r} exited {ran.returncode}: {last_lines(said)}")
    return said


@dataclass(frozen=True)
class FirstAnswer:
    """What the app answered the kit's first request, before a check sent anything of its own.

    Example:
        ```python
        from proven.check.checks import FirstAnswer

        assert "answered 500 to GET /" in FirstAnswer("GET /", 500).failing
        assert FirstAnswer("GET /", 404).failing == ""
        ```
    """

    label: str
    status: int
    trace: bool = False

    @property
    def failing(self) -> str:
        """Why the app was failing already, or `""` when it was not."""
        if self.status < 500 and not self.trace:
            return ""
        what = "a stack trace" if self.trace and self.status < 500 else str(self.status)
        return f"the app answered {what} to {self.label} before this check sent anything"


class Copy(AppProcess):
    """One copy of the target app: a release (the setup) and a start, on a private disk.

    Every start copies the app's folder, runs the setup command there to its
    end (a release phase: what it writes in the folder, such as a database,
    is there for the app), then execs the start command; on Linux both run in
    a namespace where the folders outside the app's own are private (see
    [`isolation`][proven.check.isolation]). A setup that fails is this start
    failing: the process exits 1 and prints what the setup printed.

    While it starts, a [`CrashWatch`][proven.check.checks.CrashWatch] watches
    its children; once it answers, the kit's first request and what the app
    printed until then are kept, so that a check tells the app's own failures
    from those it caused.
    """

    def __init__(
        self,
        target: Target,
        env: Mapping[str, str],
        isolation: Isolation,
        without: Iterable[str] = (),
    ) -> None:
        port = free_port()
        left_out = set(without)
        super().__init__(
            target.cwd,
            env={k: v for k, v in {**env, "PORT": str(port)}.items() if k not in left_out},
            command=self._argv,
            ready_path=target.ready_path,
            start_timeout=target.start_timeout,
            port=port,
            copy_code=True,
        )
        self.target = target
        self.isolation = isolation
        path = self.env.get("PATH", os.environ.get("PATH", ""))
        self.private = private_folders(target.start, path) if isolation else []
        """The folders outside its own this copy has a private view of."""
        self.exec_at = 0.0
        """`time.monotonic()` when the start command was launched, after the setup."""
        self.released: set[str] = set()
        """The files of its folder once the setup has run (before the app started)."""
        self.watch: CrashWatch | None = None
        self.first: FirstAnswer | None = None
        """What it answered the kit's first request after it started."""
        self.quiet_until = 0
        """How much it had printed when it answered that request: later output is the checks'."""

    def environment(self) -> dict[str, str]:
        """The environment the current start runs with, as `AppProcess.spawn` gives it."""
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": str(self.disk),
            "TMPDIR": str(self.disk / "tmp"),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            **self.env,
        }

    def wrap(self, argv: list[str]) -> list[str]:
        """`argv`, run in this copy's folder on its private disk."""
        return self.isolation.wrap(argv, self.dir, self.private)

    def _argv(self, folder: Path, port: int) -> list[str]:
        """Run the setup (a release) in the fresh folder, then give the start's argv."""
        if self.target.setup:
            try:
                setup = ["/bin/sh", "-c", self.target.setup]
                run_setup(self.target.setup, self.disk, self.environment(), self.wrap(setup))
            except SetupFailed as failed:
                self.exec_at = time.monotonic()
                return ["/bin/sh", "-c", 'echo "$1"; exit 1', "sh", str(failed)]
        self.released = files_in(self.disk)
        self.exec_at = time.monotonic()
        return self.wrap(shell(self.target.start))

    def spawn(self) -> subprocess.Popen[bytes]:
        """Start the release and the process, and watch its children while it starts."""
        self.first = None
        process = super().spawn()
        self.watch = CrashWatch(process.pid)
        self.watch.start()
        return process

    def loop(self) -> str:
        """The crash loop seen while the current start was starting, or `""`."""
        return self.watch.loop() if self.watch else ""

    def unwatch(self) -> None:
        """Stop watching its children."""
        if self.watch is not None:
            self.watch.stop()

    def start(self) -> Copy:
        """Start it, wait until it answers, then send the kit's first request and note it."""
        try:
            super().start()
        finally:
            self.unwatch()
        headers = dict(self.target.headers)
        label = f"GET {self.target.ready_path}"
        try:
            response = requests.get(self.url + self.target.ready_path, headers=headers, timeout=10)
            self.first = FirstAnswer(label, response.status_code, TRACEBACK in response.text)
        except requests.RequestException:
            self.first = FirstAnswer(label, 599)
        self.quiet_until = len(self.output())
        return self

    def close(self) -> None:
        """Stop watching, then stop it and delete its folder."""
        self.unwatch()
        super().close()


def files_in(folder: Path) -> set[str]:
    """The files under `folder`, as paths relative to it.

    Example:
        ```python
        from pathlib import Path

        from proven.check.checks import files_in

        assert "checks.py" in files_in(Path("src/proven/check"))
        ```
    """
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir()}


class Runner:
    """Starts copies of the target app for the checks and stops every one of them after.

    Each copy ([`Copy`][proven.check.checks.Copy]) runs `target.start` in a
    fresh copy of `target.cwd`, after `target.setup`, with `target.env`, the
    services' URLs and a free port in `PORT`. Closing the runner stops them
    (SIGTERM, then SIGKILL) and kills anything they left running in their
    folders, such as a server that daemonized itself.

    Example:
        ```python
        import sys
        import tempfile
        from pathlib import Path

        import requests

        from proven.check.checks import Runner
        from proven.check.target import Target

        with tempfile.TemporaryDirectory() as code:
            start = f"{sys.executable} -m http.server --bind 127.0.0.1 $PORT"
            with Runner(Target(start=start, cwd=Path(code))) as runner:
                app = runner.app().start()
                assert requests.get(app.url, timeout=5).status_code == 200
        ```
    """

    def __init__(self, target: Target, env: Mapping[str, str] | None = None) -> None:
        self.target = target
        self.env = {**target.env, **(env or {})}
        """The app's environment: the target's, with the URLs of the services the kit started."""
        self.isolation = available()
        """How this machine keeps the copies' disks apart, if it can."""
        self.apps: list[Copy] = []

    @property
    def findings(self) -> Findings:
        """What the checks before this one learned about the app."""
        return self.target.findings

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def app(self, without: Iterable[str] = ()) -> Copy:
        """A copy of the app, not started yet, on a free port; `without` drops settings."""
        app = Copy(self.target, self.env, self.isolation, without)
        self.apps.append(app)
        return app

    def client(self) -> Client:
        """A visitor of the app: the target's requests, its headers, one cookie jar."""
        return Client(self.target)

    def setup(self) -> None:
        """Run `target.setup` once in a copy of the folder, before any check: `SetupFailed` if
        it fails with every setting given, which no check can then get past."""
        if not self.target.setup:
            return
        with tempfile.TemporaryDirectory(prefix="proven-setup-") as scratch:
            folder = Path(scratch) / "app"
            shutil.copytree(self.target.cwd, folder, symlinks=True)
            (folder / "tmp").mkdir(exist_ok=True)
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "LANG": "C.UTF-8",
                "HOME": str(folder),
                "TMPDIR": str(folder / "tmp"),
                "PORT": str(free_port()),
                **self.env,
            }
            run_setup(self.target.setup, folder, env, ["/bin/sh", "-c", self.target.setup])

    def close(self) -> None:
        """Stop every copy, delete its folder and kill what it left running there."""
        started = [(str(app.dir), app.pid) for app in self.apps if app.starts]
        for app in self.apps:
            app.unwatch()
        close_all(self.apps)
        for folder, pid in started:
            remove_leftovers([folder], root_pid=pid)
        self.apps.clear()


@dataclass(frozen=True)
class Answer:
    """A read's answer: its status and text, and whether it shows a token.

    Example:
        ```python
        from proven.check.checks import Answer

        assert Answer(200, '{"notes": ["k1"]}').shows("k1")
        assert str(Answer(404, "")) == "404 (empty)"
        ```
    """

    status: int
    text: str

    @classmethod
    def of(cls, response: requests.Response) -> Answer:
        """The answer of a response."""
        return cls(response.status_code, response.text)

    def shows(self, token: str) -> bool:
        """Whether it is a success that holds `token`."""
        return self.status < 300 and token in self.text

    def seen_from(self, port: int) -> str:
        """Its text with the port of the copy that answered replaced, to compare copies."""
        return self.text.replace(str(port), "{port}")

    def __str__(self) -> str:
        text = " ".join(self.text.split())
        return f"{self.status} {text[:80] + ('...' if len(text) > 80 else '') or '(empty)'}"


class Client:
    """The kit's visitor: the target's write and read, with its headers and one cookie jar.

    `write` fills `{token}` with a fresh value and remembers the write's JSON
    answer, whose fields fill the read's placeholders (`GET /reports/{id}`).
    `sign_in` sends the target's login first; its cookies stay in the session.

    Example:
        ```python
        from pathlib import Path

        from proven.check.checks import Client
        from proven.check.target import Request, Target

        write, read = Request.parse("POST /r"), Request.parse("GET /r/{id}")
        target = Target(start="", cwd=Path("."), write=write, read=read, headers={"X-A": "1"})
        client = Client(target)
        assert client.needs_write_answer() and client.session.headers["X-A"] == "1"
        ```
    """

    def __init__(self, target: Target) -> None:
        self.target = target
        self.session = requests.Session()
        self.session.headers.update(target.headers)
        self.values: dict[str, object] = {}

    def needs_write_answer(self) -> bool:
        """Whether the read needs fields of the write's answer (no read before a write)."""
        read = self.target.read
        return read is not None and bool(read.fields() - {TOKEN})

    def by_token(self) -> bool:
        """Whether each write carries a fresh `{token}` the read can show."""
        return self.target.write is not None and TOKEN in self.target.write.fields()

    def sign_in(self, app: AppProcess) -> None:
        """Send the login, if the target has one; `TargetError` when it is refused with a 4xx."""
        login = self.target.login
        if login is None:
            return
        response = login.send(self.session, app.url)
        if 400 <= response.status_code < 500:
            raise TargetError(
                f"--login {login.label} answered {Answer.of(response)}: check its body"
            )

    def _send(self, request: Request, to: AppProcess | RoundRobin) -> requests.Response:
        if isinstance(to, RoundRobin):
            return to.request(request.method, request.path, **request.options())
        return request.send(self.session, to.url)

    def write(
        self,
        to: AppProcess | RoundRobin,
        values: dict[str, object] | None = None,
        strict: bool = True,
    ) -> requests.Response:
        """Send the write with a fresh `{token}`; keep its answer's fields for the read.

        The token and the answer's fields go into `values` (a new dict by default),
        which becomes the values the next read is filled from. When `strict`, a
        successful write whose answer lacks a field the read needs is a
        `TargetError`: the options do not describe this app.
        """
        assert self.target.write is not None
        self.values = values if values is not None else {}
        self.values[TOKEN] = new_token()
        response = self._send(self.target.write.fill(self.values), to)
        found = _json(response)
        if isinstance(found, dict):
            self.values.update({k: v for k, v in found.items() if k != TOKEN})
        missing = sorted(self.target.read.fields() - set(self.values)) if self.target.read else []
        if missing and response.ok and strict:
            raise TargetError(
                f"--read {self.target.read.label} takes {', '.join(missing)} from the write's "
                f"JSON answer, but {self.target.write.label} answered {Answer.of(response)}"
            )
        return response

    def read(self, to: AppProcess | RoundRobin) -> Answer:
        """Send the read, its placeholders filled from the last write."""
        assert self.target.read is not None
        return Answer.of(self._send(self.target.read.fill(self.values), to))

    def token(self) -> str:
        """The `{token}` of the last write."""
        return str(self.values.get(TOKEN, ""))

    def hides(self, before: Answer | None, after: Answer) -> str:
        """Why the read `after`, right after a write, does not show it (`""` when it does).

        The one rule every state check decides by: with `{token}` in the write,
        the read must hold the token; without one, it must differ from the read
        `before` the write (or, when it reads the written item by `{id}`, succeed).
        """
        if self.by_token():
            if after.shows(self.token()):
                return ""
            return f"the read right after a write does not show its token ({after})"
        if self.needs_write_answer():
            return "" if after.status < 300 else f"the written item cannot be read ({after})"
        if before is not None and before == after:
            return f"the read is the same before and after a write ({after})"
        return ""

    def kept(self, earlier: Answer, later: Answer, ports: tuple[int, int] = (0, 0)) -> bool:
        """Whether `later` still shows the last write that `earlier` showed.

        By its token when the write has one, else by comparing the two reads,
        each copy's port taken out of its answer (`ports`: `earlier`'s, `later`'s).
        """
        if self.by_token():
            return later.shows(self.token())
        return later.status == earlier.status and (
            earlier.seen_from(ports[0]) == later.seen_from(ports[1])
        )


def _json(response: requests.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return response.text


def visitor(client: Client) -> requests.Session:
    """A new session with the client's headers and cookies, for a request of its own thread."""
    session = requests.Session()
    session.headers.update(client.session.headers)
    session.cookies.update(client.session.cookies)
    return session


def _started(app: Copy) -> tuple[bool, float, str]:
    """Start `app`; whether it answered, the seconds from exec to then, and what it printed if not.

    The clock starts when the start command is launched, after the folder's copy and the setup.
    """
    try:
        app.start()
    except AppFailedToStart as error:
        gone = error.returncode is not None
        code = app.wait_exit(timeout=5)
        loop = app.loop()
        if loop:
            how = f"{loop} while nothing answered within {app.start_timeout:g} s"
            return (
                False,
                time.monotonic() - app.exec_at,
                f"{how}; its last lines: {last_lines(app.output())}",
            )
        how = f"exited {code}" if gone else f"no answer within {app.start_timeout:g} s"
        return False, time.monotonic() - app.exec_at, f"{how}: {last_line(app.output())}"
    return True, time.monotonic() - app.exec_at, ""


def _needs_state(target: Target) -> str:
    if target.write is None or target.read is None:
        return "needs a write and a read (--write, --read)"
    return ""


def _probe(
    runner: Runner, client: Client, to: AppProcess | RoundRobin
) -> tuple[requests.Response, Answer | None, Answer, str]:
    """Read, write, read: the write's answer, the reads before and after, and why it is hidden.

    What the read shows of a write is decided once per run, by the first state
    check that gets here (`Client.hides`), and every later one keeps it.
    """
    before = None if client.needs_write_answer() else client.read(to)
    wrote = client.write(to)
    after = client.read(to)
    hidden = client.hides(before, after)
    if runner.findings.read_hides_writes is None and wrote.ok and after.status < 300:
        runner.findings.read_hides_writes = hidden
    return wrote, before, after, runner.findings.read_hides_writes or ""


def _private(runner: Runner) -> str:
    """What a state check that passes says about the copies' disks."""
    if not runner.isolation:
        return f" ({runner.isolation.caveat})"
    return ""


@check("binds-port", "Binds the port in PORT", "VII", "port-binding", needs_answer=False)
def binds_port(runner: Runner) -> Verdict:
    """VII: the app answers HTTP on the port given in `PORT`."""
    app = runner.app()
    port = int(app.env["PORT"])
    answered, seconds, why = _started(app)
    if not answered:
        runner.findings.never_answered = why
        runner.findings.crash_loop = app.loop()
        return Verdict(FAIL, f"nothing answered on PORT={port}: {why}", {"port": port})
    runner.findings.first_answer = seconds
    observed = f"answered on PORT={port}, {seconds:.2f} s after exec"
    return Verdict(PASS, observed, {"port": port, "seconds": round(seconds, 3)})


@check("startup-time", "Starts fast", "IX", "disposability")
def startup_time(runner: Runner) -> Verdict:
    """IX: seconds from exec to the first answer, against `target.startup_limit`.

    When `binds-port` ran first, its start is measured (the same start, the same
    clock) rather than starting the app once more: a start is most of a check's cost.
    """
    limit = runner.target.startup_limit
    if runner.findings.first_answer is None:
        answered, seconds, why = _started(runner.app())
    else:
        answered, seconds, why = True, runner.findings.first_answer, ""
    numbers = {"seconds": round(seconds, 3), "limit": limit}
    if not answered:
        return Verdict(FAIL, f"never answered: {why}", numbers)
    status = PASS if seconds <= limit else FAIL
    observed = f"first answer {seconds:.2f} s after exec (limit {limit:g} s)"
    return Verdict(status, observed, numbers)


def _start_without(runner: Runner, name: str) -> tuple[str, dict[str, Any]]:
    """Start the app without setting `name`: what happened, and whether it failed fast."""
    target = runner.target
    app = runner.app(without=[name])
    process = app.spawn()
    ready = app.url + target.ready_path
    try:
        poll(lambda: process.poll() is not None or answers(ready), timeout=target.start_timeout)
    finally:
        app.unwatch()
    seconds = time.monotonic() - app.exec_at
    if process.poll() is None:
        loop = app.loop()
        serving = "serving" if answers(ready) else "running"
        said = f"without {name}: still {serving} {seconds:.1f} s after exec"
        if loop and serving == "running":
            said = (
                f"without {name}: {loop}, never exited; its last lines: {last_lines(app.output())}"
            )
        return said, {"failed_fast": False, "exit_code": None}
    code, output = app.wait_exit(timeout=5), app.output()
    named = name in output
    said = f"without {name}: exited {code} after {seconds:.1f} s and "
    said += "named it" if named else "never named it"
    found = {"failed_fast": code != 0 and named, "exit_code": code, "named": named}
    return said, found | {"seconds": round(seconds, 3)}


@check("fails-fast", "Stops at start without required config", "III", "config", needs_answer=False)
def fails_fast(runner: Runner) -> Verdict:
    """III: without each required setting, exit non-zero at start with a message naming it.

    Without `--required`, an app that `binds-port` saw crash-looping fails it
    too: whatever is missing, an app that cannot start must exit, not loop.
    """
    target = runner.target
    if not target.required:
        loop = runner.findings.crash_loop
        if loop:
            return Verdict(FAIL, f"{loop}, never exiting: an app that cannot start must exit")
        return Verdict(NOT_APPLICABLE, "needs a required setting (--required NAME)")
    seen, numbers = [], {}
    for name in target.required:
        said, numbers[name] = _start_without(runner, name)
        seen.append(said)
    failures = sum(not found["failed_fast"] for found in numbers.values())
    return Verdict(FAIL if failures else PASS, "; ".join(seen), numbers)


@check("restart-keeps-writes", "A write survives a restart", "VI", "processes")
def restart_keeps_writes(runner: Runner) -> Verdict:
    """VI: what a request wrote, the next request reads after the process restarts."""
    missing = _needs_state(runner.target)
    if missing:
        return Verdict(NOT_APPLICABLE, missing)
    app = runner.app().start()
    client = runner.client()
    client.sign_in(app)
    wrote, _, before, hidden = _probe(runner, client, app)
    label = f"{runner.target.write.label} answered {wrote.status_code}"
    if not wrote.ok or before.status >= 300:
        return Verdict(FAIL, f"{label}, then the read {before}")
    if hidden:
        return Verdict(NOT_APPLICABLE, hidden)
    app.restart()
    after = client.read(app)
    kept = client.kept(before, after)
    if kept:
        shown = "its token" if client.by_token() else "the same answer"
        observed = f"{label}; the reads before and after the restart both show {shown}"
    else:
        one, two = difference(before.text, after.text)
        observed = (
            f"{label}; read before the restart: {before.status} {one}; after: {after.status} {two}"
        )
    numbers = {"before": before.status, "after": after.status, "kept": kept}
    numbers["private_disk"] = bool(runner.isolation)
    if kept:
        observed += _private(runner)
    return Verdict(PASS if kept else FAIL, observed, numbers)


@check("copies-share-writes", "Two copies behind a round-robin agree", "VI, VIII", "concurrency")
def copies_share_writes(runner: Runner) -> Verdict:
    """VI, VIII: a write through one copy is read through a second copy too (round-robin)."""
    missing = _needs_state(runner.target)
    if missing:
        return Verdict(NOT_APPLICABLE, missing)
    first, second = runner.app().start(), runner.app().start()
    balancer = RoundRobin([first, second])
    client = runner.client()
    balancer.session = client.session
    client.sign_in(first)
    before = None
    if client.needs_write_answer():
        balancer.request("GET", runner.target.ready_path)
    else:
        before = client.read(balancer)  # the first copy
    wrote = client.write(balancer)  # the second copy
    other, same = client.read(balancer), client.read(balancer)  # the first, then the second
    label = f"{runner.target.write.label} through copy 2 answered {wrote.status_code}"
    if not wrote.ok or same.status >= 300:
        return Verdict(FAIL, f"{label}, then its own read {same}")
    if runner.findings.read_hides_writes is None:
        runner.findings.read_hides_writes = client.hides(before, same)
    if runner.findings.read_hides_writes:
        return Verdict(NOT_APPLICABLE, runner.findings.read_hides_writes)
    alike = client.kept(same, other, (second.port, first.port))
    numbers = {"copy_1": other.status, "copy_2": same.status, "shared": alike}
    numbers["private_disk"] = bool(runner.isolation)
    if alike:
        shown = "its token" if client.by_token() else "the same answer"
        observed = f"{label}; the reads through copy 1 and copy 2 both show {shown}"
        return Verdict(PASS, observed + _private(runner), numbers)
    one, two = difference(same.text, other.text)
    observed = (
        f"{label}; read through copy 2: {same.status} {one}; through copy 1: {other.status} {two}"
    )
    return Verdict(FAIL, observed, numbers)


@check("kill-9-keeps-writes", "No acknowledged write lost on kill -9", "VI, IX", "disposability")
def kill_9_keeps_writes(runner: Runner) -> Verdict:
    """VI, IX: no write acknowledged under traffic around a SIGKILL and restart is lost.

    Each acknowledged write is read back, and counted by who acknowledged it: the
    killed process (before), the new one (after), or either (in between, sent while
    the app was being killed and restarted).
    """
    target = runner.target
    missing = _needs_state(target)
    if missing:
        return Verdict(NOT_APPLICABLE, missing)
    client = runner.client()
    if not client.by_token() and not client.needs_write_answer():
        why = "needs writes it can find again: {token} in the write, or {field} of its answer"
        return Verdict(NOT_APPLICABLE, why + " in the read")
    app = runner.app().start()
    client.sign_in(app)
    wrote, _, after, hidden = _probe(runner, client, app)
    if not wrote.ok or after.status >= 300:
        return Verdict(
            FAIL, f"{target.write.label} answered {wrote.status_code}, then the read {after}"
        )
    if hidden:
        return Verdict(NOT_APPLICABLE, hidden)
    written: list[dict[str, object]] = []

    def send() -> requests.Response:
        written.append({})
        return client.write(app, written[-1], strict=False)  # the probe above was strict

    crash = crash_under_traffic(app, send, seconds=0.3)
    acknowledged = [
        (values, sent)
        for values, sent in zip(written, crash.traffic.sent, strict=False)
        if sent.acknowledged
    ]
    shared = None if client.needs_write_answer() else client.read(app)

    def kept(values: dict[str, object]) -> bool:
        client.values = values
        answer = shared or client.read(app)
        return answer.shows(str(values[TOKEN])) if client.by_token() else answer.status < 300

    counted = Counter(crash.moment(sent) for _, sent in acknowledged)
    lost = Counter(crash.moment(sent) for values, sent in acknowledged if not kept(values))
    numbers = {"acknowledged": len(acknowledged)}
    numbers |= {when: counted[when] for when in ("before", "between", "after")}
    numbers |= {f"lost_{when}": lost[when] for when in ("before", "between", "after")}
    observed = (
        f"{len(acknowledged)} writes acknowledged ({counted['before']} before the kill, "
        f"{counted['between']} in between, {counted['after']} after the restart); lost: "
        f"{lost['before']} of those before, {lost['between']} in between, {lost['after']} after"
    )
    ok = counted["before"] > 0 and not lost
    return Verdict(PASS if ok else FAIL, observed + (_private(runner) if ok else ""), numbers)


@check("sigterm-drains", "Drains in-flight requests on SIGTERM", "IX", "disposability")
def sigterm_drains(runner: Runner, in_flight: int = 1, settle: float = 1.0) -> Verdict:
    """IX: on SIGTERM, requests in flight complete and the process exits within the grace period.

    With a slow request (`--slow`), `in_flight` of them are sent and given
    `settle` seconds to reach the app before SIGTERM; each must then get a
    2xx answer. Without one nothing is in flight, so nothing can show a drain:
    the check is `n/a` when the app exits within the grace period, and fails
    when it does not.
    """
    target = runner.target
    app = runner.app().start()
    client = runner.client()
    client.sign_in(app)
    slow = target.slow
    with ThreadPoolExecutor(max_workers=in_flight) as pool:
        sent = []
        if slow is not None:
            timeout = target.grace + 5
            sent = [
                pool.submit(slow.send, visitor(client), app.url, timeout) for _ in range(in_flight)
            ]
            time.sleep(settle)
        waiting = [request for request in sent if not request.done()]
        signalled = time.monotonic()
        app.send_signal(signal.SIGTERM)
        try:
            code: int | None = app.wait_exit(timeout=target.grace)
        except subprocess.TimeoutExpired:
            code = None
            app.kill()
        exited = time.monotonic() - signalled
    if slow is not None and not waiting:
        too_fast = f"{slow.label} answered within {settle:g} s, before SIGTERM: name a slower one"
        return Verdict(NOT_APPLICABLE, too_fast)
    completed = sum(request.exception() is None and request.result().ok for request in waiting)
    numbers = {"in_flight": len(waiting), "completed": completed, "exit_code": code}
    numbers["exit_seconds"] = round(exited, 3)
    ended = (
        f"exited {code} {exited:.1f} s after SIGTERM"
        if code is not None
        else f"still running {target.grace:g} s after SIGTERM (killed)"
    )
    drained = (
        f"{completed} of {len(waiting)} slow requests in flight completed"
        if slow is not None
        else "no request in flight (name a slow one with --slow to test the drain)"
    )
    ok = code is not None and completed == len(waiting)
    status = PASS if ok else FAIL
    if slow is None and ok:
        status = NOT_APPLICABLE
    return Verdict(status, f"{drained}; {ended}", numbers)


@check("logs-to-stdout", "Logs to stdout, no files", "XI, VI", "logs")
def logs_to_stdout(runner: Runner, requests_sent: int = 3) -> Verdict:
    """XI, VI: the app writes its logs to stdout/stderr and leaves no file in its folder.

    Files the setup wrote before the app started (a database, say) are part of
    the release, not the app's logs.
    """
    target = runner.target
    app = runner.app().start()
    client = runner.client()
    client.sign_in(app)
    for _ in range(requests_sent):
        if target.write is not None:
            client.write(app)
        if target.read is not None:
            client.read(app)
        client.session.get(app.url + target.ready_path, timeout=10)
    app.stop(timeout=target.grace)
    new = sorted(files_in(app.disk) - app.released)
    lines = len(app.output().splitlines())
    listed = f": {', '.join(new[:4])}" + (" ..." if len(new) > 4 else "") if new else ""
    observed = f"{lines} lines on stdout/stderr; {len(new)} new files in its folder{listed}"
    numbers = {"output_lines": lines, "new_files": new}
    return Verdict(FAIL if new else PASS, observed, numbers)


NOT_AN_OBJECT: tuple[tuple[str, bytes], ...] = (
    ("truncated JSON", b'{"'),
    ("not JSON", b"this is not JSON"),
    ("JSON null", b"null"),
    ("JSON list", b"[1, 2]"),
    ("nested 10,000 deep", b"[" * 10_000 + b"]" * 10_000),
    ("invalid UTF-8", b"\xff\xfe\xfa"),
    ("empty", b""),
)
"""Bodies that cannot be a JSON object: a write that takes one must refuse each with a 4xx."""


def object_shape(template: Request) -> dict[str, Any] | None:
    """The JSON object the write's body template fills in; None if its body is not one."""
    try:
        shape = json.loads(template.fill({TOKEN: new_token()}).body or "")
    except ValueError:
        return None
    return shape if isinstance(shape, dict) else None


def malformed_bodies(template: Request) -> list[tuple[str, bytes, str]]:
    """Bodies the write endpoint must never crash on: (what, bytes, content type).

    The bodies of `NOT_AN_OBJECT` and a form. When the template is a JSON
    object, also one with no fields, and each field set in turn to null, a
    number, a list, an object and a string of 100,000 characters: an answer
    may accept such a value, never crash on it.

    Example:
        ```python
        from proven.check.checks import malformed_bodies
        from proven.check.target import Request

        bodies = malformed_bodies(Request.parse("POST /e", body='{"name": "{token}"}'))
        assert ("name: null", b'{"name": null}', "application/json") in bodies
        assert ("JSON null", b"null", "application/json") in bodies
        ```
    """
    json_type = "application/json"
    bodies = [(what, body, json_type) for what, body in NOT_AN_OBJECT]
    bodies.append(("form instead of JSON", b"a=1&b=2", "application/x-www-form-urlencoded"))
    shape = object_shape(template)
    if shape is not None:
        bodies.append(("no fields", b"{}", json_type))
        for key in shape:
            for wrong in (None, 12345, [], {"a": 1}, "x" * 100_000):
                what = f"{key}: {json.dumps(wrong)[:12]}"
                bodies.append((what, json.dumps({**shape, key: wrong}).encode(), json_type))
    return bodies


@check(
    "malformed-input",
    "Malformed bodies: a 4xx for non-objects, never a 5xx",
    "—",
    "stateless-processes",
)
def malformed_input(runner: Runner) -> Verdict:
    """Malformed bodies on the write endpoint never get a 5xx, a stack trace or no answer.

    When the write takes a JSON object, each body of `NOT_AN_OBJECT` must also
    get a 4xx: accepting one with a 2xx fails the check too.
    """
    target = runner.target
    if target.write is None:
        return Verdict(NOT_APPLICABLE, "needs a write (--write)")
    app = runner.app().start()
    client = runner.client()
    client.sign_in(app)
    write = target.write.fill({TOKEN: new_token()})
    must_refuse = (
        {what for what, _ in NOT_AN_OBJECT} if object_shape(target.write) is not None else set()
    )
    counts = {"4xx": 0, "2xx": 0, "5xx": 0, "trace": 0, "no answer": 0, "not an object": 0}
    worst = ""
    session = client.session
    bodies = malformed_bodies(target.write)
    for what, body, content_type in bodies:
        try:
            response = session.request(
                write.method,
                app.url + write.path,
                data=body,
                headers={"Content-Type": content_type},
                timeout=10,
            )
        except requests.RequestException:
            counts["no answer"] += 1
            worst = worst or f"{what}: no answer"
            continue
        if TRACEBACK in response.text:
            counts["trace"] += 1
            worst = worst or f"{what}: a stack trace in the answer"
        elif response.status_code >= 500:
            counts["5xx"] += 1
            worst = worst or f"{what}: {response.status_code}"
        elif response.status_code >= 400:
            counts["4xx"] += 1
        else:
            counts["2xx"] += 1
            if what in must_refuse:
                counts["not an object"] += 1
                worst = worst or f"{what}: {response.status_code}, accepted"
    if TRACEBACK in app.output()[app.quiet_until :]:
        counts["trace"] += 1
        worst = worst or "a stack trace in its log"
    wrongly = counts["not an object"]
    observed = (
        f"{len(bodies)} malformed bodies to {write.label}: {counts['4xx']} got a 4xx, "
        f"{counts['2xx']} were accepted"
        + (f" ({wrongly} of them not a JSON object)" if wrongly else "")
        + f", {counts['5xx']} got a 5xx, {counts['no answer']} no answer, "
        f"{counts['trace']} stack traces"
    ) + (f" (first: {worst})" if worst else "")
    bad = counts["5xx"] + counts["trace"] + counts["no answer"] + wrongly
    return Verdict(FAIL if bad else PASS, observed, counts)


def run_check(check_id: str, runner: Runner) -> Result:
    """Run one check; an app that does not start, or stops answering, fails it with the reason.

    After `binds-port` found that nothing answers, the checks that need an
    answer are n/a with its reason (`fails-fast` still runs: it needs none).
    A check that fails says so when the app was failing already before the
    check sent anything of its own (`FirstAnswer`). Options that turn out not
    to describe the app (`TargetError`) are raised.

    Example:
        ```python
        import tempfile
        from pathlib import Path

        from proven.check.checks import Runner, run_check
        from proven.check.target import Target

        with tempfile.TemporaryDirectory() as code:
            target = Target(start="true", cwd=Path(code), start_timeout=2)
            with Runner(target) as runner:
                found = run_check("restart-keeps-writes", runner)
        assert found.status == "n/a"
        ```
    """
    never = runner.findings.never_answered
    try:
        if never and CHECKS[check_id].needs_answer:
            return Result(check_id, NOT_APPLICABLE, f"the app never answered (binds-port): {never}")
        verdict = CHECKS[check_id].run(runner)
    except AppFailedToStart as error:
        verdict = Verdict(FAIL, f"the app did not start: {last_line(str(error))}")
    except requests.RequestException as error:
        verdict = Verdict(FAIL, f"a request failed: {type(error).__name__}: {error}"[:200])
    finally:
        failing = [app.first.failing for app in runner.apps if app.first and app.first.failing]
        runner.close()
    observed = verdict.observed
    numbers = dict(verdict.numbers)
    if verdict.status == FAIL and failing:
        observed = f"{failing[0]}; {observed}"
        numbers["failing_before"] = failing[0]
    return Result(check_id, verdict.status, observed, numbers)
