"""The checks of `proven check`: one function per behaviour the site proves.

Each check starts the app as real processes through a
[`Runner`][proven.check.checks.Runner] (the harness's
[`AppProcess`][proven.processes.AppProcess], in a fresh copy of the code,
with a free port in `PORT`), does what the matching proof does, and returns a
[`Result`][proven.check.checks.Result]: pass, fail or not applicable, what it
observed in numbers, and the page of the site that explains the factor.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from proven.check.target import TOKEN, Request, Target, new_token
from proven.cluster import RoundRobin
from proven.hygiene import remove_leftovers
from proven.processes import AppFailedToStart, AppProcess, CommandBuilder, close_all
from proven.services import free_port
from proven.traffic import crash_under_traffic
from proven.waiting import poll

SITE = "https://twelve-factor-proven.netlify.app/"
"""The site whose pages explain each check."""

PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "n/a"
"""The three outcomes of a check."""

TRACEBACK = "Traceback (most recent call last)"
"""What a Python stack trace starts with; an answer must never hold one."""


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


def shell(command: str) -> CommandBuilder:
    """A command builder that runs `command` with `/bin/sh`, as `exec command`.

    `exec` makes the app itself the process that gets SIGTERM and SIGKILL, as
    a Procfile platform does, rather than a shell that would not pass them on.

    Example:
        ```python
        from pathlib import Path

        from proven.check.checks import shell

        argv = shell("gunicorn app:app")(Path("."), 8000)
        assert argv == ["/bin/sh", "-c", "exec gunicorn app:app"]
        ```
    """

    def build(folder: Path, port: int) -> list[str]:
        return ["/bin/sh", "-c", f"exec {command}"]

    return build


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
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return (lines[-1] if lines else "(nothing printed)")[:160]


class SetupFailed(RuntimeError):
    """The one-off setup command exited non-zero, or did not exit in time.

    Example:
        ```python
        from proven.check.checks import SetupFailed

        assert "exited 1" in str(SetupFailed("setup exited 1: no such command"))
        ```
    """


class Runner:
    """Starts copies of the target app for the checks and stops every one of them after.

    Each copy runs `target.start` in a fresh copy of `target.cwd`, with
    `target.env`, the services' URLs and a free port in `PORT`. Closing the
    runner stops them (SIGTERM, then SIGKILL) and kills anything they left
    running in their folders, such as a server that daemonized itself.

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
        self.apps: list[AppProcess] = []

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def app(self, without: Iterable[str] = (), command: str | None = None) -> AppProcess:
        """A copy of the app, not started yet, on a free port; `without` drops settings."""
        port = free_port()
        left_out = set(without)
        env = {k: v for k, v in {**self.env, "PORT": str(port)}.items() if k not in left_out}
        app = AppProcess(
            self.target.cwd,
            env=env,
            command=shell(command or self.target.start),
            ready_path=self.target.ready_path,
            start_timeout=self.target.start_timeout,
            port=port,
            copy_code=True,
        )
        self.apps.append(app)
        return app

    def setup(self) -> None:
        """Run `target.setup` once, to its end; `SetupFailed` holds what it printed."""
        if not self.target.setup:
            return
        once = self.app(command=self.target.setup)
        once.spawn()
        try:
            code = once.wait_exit(timeout=120)
        except subprocess.TimeoutExpired:
            once.kill()
            raise SetupFailed(
                f"setup did not exit within 120 s: {last_line(once.output())}"
            ) from None
        if code != 0:
            raise SetupFailed(f"setup exited {code}: {last_line(once.output())}")

    def close(self) -> None:
        """Stop every copy, delete its folder and kill what it left running there."""
        started = [(str(app.disk.parent), app.pid) for app in self.apps if app.starts]
        close_all(self.apps)
        for folder, pid in started:
            remove_leftovers([folder], root_pid=pid)
        self.apps.clear()


def _json(response: requests.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return response.text


@dataclass(frozen=True)
class Answer:
    """A read's answer, as the checks compare it: status and body (JSON parsed when it is).

    Example:
        ```python
        from proven.check.checks import Answer

        assert Answer(200, {"hits": 1}) != Answer(200, {"hits": 0})
        assert str(Answer(200, {"hits": 1})) == '200 {"hits": 1}'
        ```
    """

    status: int
    body: object

    @classmethod
    def of(cls, response: requests.Response) -> Answer:
        """The answer of a response."""
        return cls(response.status_code, _json(response))

    def __str__(self) -> str:
        text = self.body if isinstance(self.body, str) else json.dumps(self.body)
        return f"{self.status} {text[:60]}"


class Client:
    """The target's write and read requests, sent to one app or through a round-robin.

    `write` fills `{token}` with a fresh value and remembers the write's JSON
    answer, whose fields fill the read's placeholders (`GET /reports/{id}`).

    Example:
        ```python
        from pathlib import Path

        from proven.check.checks import Client
        from proven.check.target import Request, Target

        write, read = Request.parse("POST /r"), Request.parse("GET /r/{id}")
        target = Target(start="", cwd=Path("."), write=write, read=read)
        assert Client(target).needs_write_answer()
        ```
    """

    def __init__(self, target: Target) -> None:
        self.target = target
        self.session = requests.Session()
        self.values: dict[str, object] = {}

    def needs_write_answer(self) -> bool:
        """Whether the read needs fields of the write's answer (no read before a write)."""
        read = self.target.read
        return read is not None and bool(read.fields() - {TOKEN})

    def _send(self, request: Request, to: AppProcess | RoundRobin) -> requests.Response:
        if isinstance(to, RoundRobin):
            return to.request(request.method, request.path, **request.options())
        return request.send(self.session, to.url)

    def write(
        self, to: AppProcess | RoundRobin, values: dict[str, object] | None = None
    ) -> requests.Response:
        """Send the write with a fresh `{token}`; keep its answer's fields for the read.

        The token and the answer's fields go into `values` (a new dict by default),
        which becomes the values the next read is filled from.
        """
        assert self.target.write is not None
        self.values = values if values is not None else {}
        self.values[TOKEN] = new_token()
        response = self._send(self.target.write.fill(self.values), to)
        found = _json(response)
        if isinstance(found, dict):
            self.values.update({k: v for k, v in found.items() if k != TOKEN})
        return response

    def read(self, to: AppProcess | RoundRobin) -> Answer:
        """Send the read, its placeholders filled from the last write."""
        assert self.target.read is not None
        return Answer.of(self._send(self.target.read.fill(self.values), to))


def _started(app: AppProcess) -> tuple[bool, float, str]:
    """Start `app`; whether it answered, the seconds from exec to then, and what it printed if not.

    The clock starts when the process is launched, after the copy of its folder.
    """
    try:
        app.start()
    except AppFailedToStart as error:
        gone = "exited with code" in str(error).splitlines()[0]
        code = app.wait_exit(timeout=5)
        how = f"exited {code}" if gone else f"no answer within {app.start_timeout:g} s"
        return False, time.monotonic() - app.spawned_at, f"{how}: {last_line(app.output())}"
    return True, time.monotonic() - app.spawned_at, ""


def _needs_state(target: Target) -> str | None:
    if target.write is None or target.read is None:
        return "needs a write and a read (--write, --read)"
    return None


def binds_port(runner: Runner) -> Result:
    """VII: the app answers HTTP on the port given in `PORT`."""
    app = runner.app()
    port = int(app.env["PORT"])
    answered, seconds, why = _started(app)
    if not answered:
        return Result("binds-port", FAIL, f"nothing answered on PORT={port}: {why}", {"port": port})
    observed = f"answered on PORT={port}, {seconds:.2f} s after exec"
    return Result("binds-port", PASS, observed, {"port": port, "seconds": round(seconds, 3)})


def startup_time(runner: Runner) -> Result:
    """IX: seconds from exec to the first answer, against `target.startup_limit`."""
    limit = runner.target.startup_limit
    answered, seconds, why = _started(runner.app())
    numbers = {"seconds": round(seconds, 3), "limit": limit}
    if not answered:
        return Result("startup-time", FAIL, f"never answered: {why}", numbers)
    status = PASS if seconds <= limit else FAIL
    observed = f"first answer {seconds:.2f} s after exec (limit {limit:g} s)"
    return Result("startup-time", status, observed, numbers)


def _start_without(runner: Runner, name: str) -> tuple[str, dict[str, Any]]:
    """Start the app without setting `name`: what happened, and whether it failed fast."""
    target = runner.target
    app = runner.app(without=[name])
    process = app.spawn()
    began = time.monotonic()
    ready = app.url + target.ready_path
    poll(lambda: process.poll() is not None or answers(ready), timeout=target.start_timeout)
    seconds = time.monotonic() - began
    if process.poll() is None:
        serving = "serving" if answers(ready) else "running"
        said = f"without {name}: still {serving} {seconds:.1f} s after exec"
        return said, {"failed_fast": False, "exit_code": None}
    code, output = app.wait_exit(timeout=5), app.output()
    named = name in output
    said = f"without {name}: exited {code} after {seconds:.1f} s and "
    said += "named it" if named else "never named it"
    found = {"failed_fast": code != 0 and named, "exit_code": code, "named": named}
    return said, found | {"seconds": round(seconds, 3)}


def fails_fast(runner: Runner) -> Result:
    """III: without each required setting, exit non-zero at start with a message naming it."""
    target = runner.target
    if not target.required:
        return Result("fails-fast", NOT_APPLICABLE, "needs a required setting (--required NAME)")
    seen, numbers = [], {}
    for name in target.required:
        said, numbers[name] = _start_without(runner, name)
        seen.append(said)
    failures = sum(not found["failed_fast"] for found in numbers.values())
    return Result("fails-fast", FAIL if failures else PASS, "; ".join(seen), numbers)


def restart_keeps_writes(runner: Runner) -> Result:
    """VI: what a request wrote, the next request reads after the process restarts."""
    missing = _needs_state(runner.target)
    if missing:
        return Result("restart-keeps-writes", NOT_APPLICABLE, missing)
    app = runner.app().start()
    client = Client(runner.target)
    baseline = None if client.needs_write_answer() else client.read(app)
    wrote = client.write(app)
    before = client.read(app)
    label = f"{runner.target.write.label} answered {wrote.status_code}"
    if not wrote.ok or before.status >= 300:
        return Result("restart-keeps-writes", FAIL, f"{label}, then the read {before}")
    if before == baseline:
        no_trace = "the read shows no trace of the write"
        return Result("restart-keeps-writes", NOT_APPLICABLE, no_trace)
    app.restart()
    after = client.read(app)
    kept = after == before
    observed = f"{label}; read before the restart: {before}; after: {after}"
    numbers = {"before": before.status, "after": after.status, "same": kept}
    return Result("restart-keeps-writes", PASS if kept else FAIL, observed, numbers)


def copies_share_writes(runner: Runner) -> Result:
    """VI, VIII: a write through one copy is read alike through a second copy (round-robin)."""
    missing = _needs_state(runner.target)
    if missing:
        return Result("copies-share-writes", NOT_APPLICABLE, missing)
    first, second = runner.app().start(), runner.app().start()
    balancer = RoundRobin([first, second])
    client = Client(runner.target)
    client.session = balancer.session
    if client.needs_write_answer():
        balancer.request("GET", runner.target.ready_path)
        baseline = None
    else:
        baseline = client.read(balancer)  # the first copy
    wrote = client.write(balancer)  # the second copy
    other, same = client.read(balancer), client.read(balancer)  # the first, then the second
    label = f"{runner.target.write.label} through copy 2 answered {wrote.status_code}"
    if not wrote.ok or same.status >= 300:
        return Result("copies-share-writes", FAIL, f"{label}, then its own read {same}")
    if baseline == other == same:
        return Result("copies-share-writes", NOT_APPLICABLE, "the read shows no trace of the write")
    alike = other == same
    observed = f"{label}; read through copy 2: {same}; through copy 1: {other}"
    numbers = {"copy_1": other.status, "copy_2": same.status, "same": alike}
    return Result("copies-share-writes", PASS if alike else FAIL, observed, numbers)


def kill_9_keeps_writes(runner: Runner) -> Result:
    """VI, IX: no write acknowledged under traffic around a SIGKILL and restart is lost.

    Each acknowledged write is read back, and counted by who acknowledged it: the
    killed process (before), the new one (after), or either (in between, sent while
    the app was being killed and restarted).
    """
    target = runner.target
    missing = _needs_state(target)
    if missing:
        return Result("kill-9-keeps-writes", NOT_APPLICABLE, missing)
    client = Client(target)
    by_token = TOKEN in target.write.fields()
    if not by_token and not client.needs_write_answer():
        why = "needs writes it can find again: {token} in the write, or {field} of its answer"
        return Result("kill-9-keeps-writes", NOT_APPLICABLE, why + " in the read")
    app = runner.app().start()
    written: list[dict[str, object]] = []

    def send() -> requests.Response:
        written.append({})
        return client.write(app, written[-1])

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
        text = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
        return answer.status < 300 and (not by_token or str(values[TOKEN]) in text)

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
    return Result("kill-9-keeps-writes", PASS if ok else FAIL, observed, numbers)


def sigterm_drains(runner: Runner, in_flight: int = 1, settle: float = 1.0) -> Result:
    """IX: on SIGTERM, requests in flight complete and the process exits within the grace period.

    With a slow request (`--slow`), `in_flight` of them are sent and given
    `settle` seconds to reach the app before SIGTERM; each must then get a
    2xx answer. Without one nothing is in flight, so nothing can show a drain:
    the check is `n/a` when the app exits within the grace period, and fails
    when it does not.
    """
    target = runner.target
    app = runner.app().start()
    slow = target.slow
    with ThreadPoolExecutor(max_workers=in_flight) as pool:
        sent = []
        if slow is not None:
            timeout = target.grace + 5
            sent = [
                pool.submit(slow.send, requests.Session(), app.url, timeout)
                for _ in range(in_flight)
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
        return Result("sigterm-drains", NOT_APPLICABLE, too_fast)
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
    return Result("sigterm-drains", status, f"{drained}; {ended}", numbers)


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir()}


def logs_to_stdout(runner: Runner, requests_sent: int = 3) -> Result:
    """XI, VI: the app writes its logs to stdout/stderr and leaves no file in its folder."""
    target = runner.target
    app = runner.app().start()
    client = Client(target)
    for _ in range(requests_sent):
        if target.write is not None:
            client.write(app)
        if target.read is not None:
            client.read(app)
        client.session.get(app.url + target.ready_path, timeout=10)
    app.stop(timeout=target.grace)
    new = sorted(_files(app.disk) - _files(target.cwd))
    lines = len(app.output().splitlines())
    listed = f": {', '.join(new[:4])}" + (" ..." if len(new) > 4 else "") if new else ""
    observed = f"{lines} lines on stdout/stderr; {len(new)} new files in its folder{listed}"
    numbers = {"output_lines": lines, "new_files": new}
    return Result("logs-to-stdout", FAIL if new else PASS, observed, numbers)


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


def malformed_input(runner: Runner) -> Result:
    """Malformed bodies on the write endpoint never get a 5xx, a stack trace or no answer.

    When the write takes a JSON object, each body of `NOT_AN_OBJECT` must also
    get a 4xx: accepting one with a 2xx fails the check too.
    """
    target = runner.target
    if target.write is None:
        return Result("malformed-input", NOT_APPLICABLE, "needs a write (--write)")
    app = runner.app().start()
    write = target.write.fill({TOKEN: new_token()})
    must_refuse = (
        {what for what, _ in NOT_AN_OBJECT} if object_shape(target.write) is not None else set()
    )
    counts = {"4xx": 0, "2xx": 0, "5xx": 0, "trace": 0, "no answer": 0, "not an object": 0}
    worst = ""
    session = requests.Session()
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
    if TRACEBACK in app.output():
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
    return Result("malformed-input", FAIL if bad else PASS, observed, counts)


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
    run: Callable[[Runner], Result]


CHECKS: dict[str, Check] = {
    check.id: check
    for check in (
        Check("binds-port", "Binds the port in PORT", "VII", "port-binding", binds_port),
        Check("startup-time", "Starts fast", "IX", "disposability", startup_time),
        Check("fails-fast", "Stops at start without required config", "III", "config", fails_fast),
        Check(
            "restart-keeps-writes",
            "A write survives a restart",
            "VI",
            "processes",
            restart_keeps_writes,
        ),
        Check(
            "copies-share-writes",
            "Two copies behind a round-robin agree",
            "VI, VIII",
            "concurrency",
            copies_share_writes,
        ),
        Check(
            "kill-9-keeps-writes",
            "No acknowledged write lost on kill -9",
            "VI, IX",
            "disposability",
            kill_9_keeps_writes,
        ),
        Check(
            "sigterm-drains",
            "Drains in-flight requests on SIGTERM",
            "IX",
            "disposability",
            sigterm_drains,
        ),
        Check("logs-to-stdout", "Logs to stdout, no files", "XI, VI", "logs", logs_to_stdout),
        Check(
            "malformed-input",
            "Malformed bodies: a 4xx for non-objects, never a 5xx",
            "—",
            "stateless-processes",
            malformed_input,
        ),
    )
}
"""Every check, by id, in the order the kit runs them."""


def run_check(check_id: str, runner: Runner) -> Result:
    """Run one check; an app that does not start, or stops answering, fails it with the reason.

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
    try:
        return CHECKS[check_id].run(runner)
    except AppFailedToStart as error:
        return Result(check_id, FAIL, f"the app did not start: {last_line(str(error))}")
    except requests.RequestException as error:
        return Result(check_id, FAIL, f"a request failed: {type(error).__name__}: {error}"[:200])
    finally:
        runner.close()
