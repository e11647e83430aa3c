"""Start an example app as a real OS process and drive its life cycle.

An [`AppProcess`][proven.processes.AppProcess] is one running copy of an
example: its own process group, its own empty working directory (the local
disk of a fresh container) and its own output file. The harness starts it,
waits until it answers HTTP, and then lets a proof restart it, signal it,
kill it with SIGKILL or read what it printed.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import requests

from proven.hygiene import proof_dir, track_group, untrack_group
from proven.paths import EXAMPLES_DIR, copy_shipped
from proven.waiting import poll

CommandBuilder = Callable[[Path, int], list[str]]
"""Builds the argv that serves an example folder on a port (0: the server picks one)."""

_LISTENING = re.compile(r"http://127\.0\.0\.1:(\d+)")
_LISTENING_AT = re.compile(r"Listening at: http://([\d.]+:\d+)")


SWAP_TWINS = "PROOF_SWAP_TWINS"
"""Set to `1` by the non-vacuity check, which runs the proofs in a copy of the project.

A proof must fail when its bad and good twins trade places; otherwise it
proves nothing. `tools/swap_check.py` copies the project, swaps the `bad/`
and `good/` folders of the pairs it checks, runs their proofs there with this
variable set, and reports those that still pass.
"""

SWAP_SERVICE_VARIABLES = ("REDIS_URL", "DATABASE_URL")
"""Under `PROOF_SWAP_TWINS=1`, these variables of the test run also reach every app
(the plugin makes them [`AppProcess.inherited`][proven.processes.AppProcess.inherited]).

A proof often starts the bad twin without `REDIS_URL`, which it does not read;
swapped, the good twin would then refuse to start and the proof would fail
before its assertions. The swap check sets these to its own throwaway servers
(the same ones the `redis_url` and `database_url` fixtures then use), so the
swapped good twin finds them. A variable the proof passes itself wins.
"""


def start_group(
    argv: list[str], output: Path | None = None, **options: Any
) -> subprocess.Popen[bytes]:
    """Start `argv` in a new session, so that it and its children form one process group.

    Its stdin is closed; its stdout and stderr are appended to the file
    `output`, or discarded without one (a file, never an undrained pipe).
    `options` go to `subprocess.Popen` (`cwd`, `env`, `user`, ...). Stop it
    with [`stop_group`][proven.processes.stop_group].

    The group is recorded in the run registry (see [`proven.hygiene`][proven.hygiene]):
    if the run dies before it stops the group, the run's watchdog, or the next
    run, kills it.

    Example:
        ```python
        import os
        import tempfile
        from pathlib import Path

        from proven.processes import start_group, stop_group
        from proven.waiting import wait_for

        with tempfile.TemporaryDirectory() as folder:
            log = Path(folder) / "output.log"
            process = start_group(["sh", "-c", "echo started; exec sleep 30"], log)
            assert os.getpgid(process.pid) == process.pid
            assert wait_for(lambda: log.read_text().strip(), timeout=10) == "started"
            assert stop_group(process) == -15
        ```
    """
    with open(output or os.devnull, "ab") as sink:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **options,
        )
    track_group(process.pid)
    return process


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group of `process` (see `start_group`) and reap the process.

    The children it started die with it, even when it has exited already.

    Example:
        ```python
        from proven.processes import kill_group, start_group

        process = start_group(["sleep", "30"])
        kill_group(process)
        assert process.returncode == -9
        ```
    """
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()
    untrack_group(process.pid)


def stop_group(
    process: subprocess.Popen[bytes], signum: int = signal.SIGTERM, timeout: float = 10.0
) -> int:
    """Stop a process the way a platform does: `signum`, then SIGKILL for its group.

    It gets `timeout` seconds to exit on `signum`; whatever is left of its
    process group is then killed. Returns its exit code.

    Example:
        ```python
        import signal
        import tempfile
        from pathlib import Path

        from proven.processes import start_group, stop_group
        from proven.waiting import wait_for

        with tempfile.TemporaryDirectory() as folder:
            log = Path(folder) / "output.log"
            # A process that ignores SIGTERM: killed when its grace period is over.
            process = start_group(["sh", "-c", "trap '' TERM; echo ready; sleep 30; :"], log)
            wait_for(lambda: log.read_text().startswith("ready"), timeout=10)
            assert stop_group(process, signal.SIGTERM, timeout=0.5) == -9
        ```
    """
    if process.poll() is None:
        process.send_signal(signum)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    kill_group(process)
    return process.wait()


class GroupProcess:
    """A real process the harness runs in its own process group, with a folder of its own.

    The life cycle its apps and servers share: `with` starts it and closes it;
    `stop` sends `stop_signal`, then SIGKILL to whatever is left of the group
    after `stop_timeout` seconds; `restart` stops it and starts it again;
    `close` stops it (waiting `close_timeout` seconds at most) and deletes
    `dir`. A subclass says how it `start`s: with
    [`start_group`][proven.processes.start_group], into `self._process`.

    Example:
        ```python
        import os

        from proven import RedisServer
        from proven.processes import GroupProcess

        server = RedisServer()
        assert isinstance(server, GroupProcess) and server.stop() is None  # not started yet
        with server:
            first = server.pid
            assert server.restart().pid != first
        assert not os.path.exists(server.dir)
        ```
    """

    stop_signal: int = signal.SIGTERM
    """The signal `stop` sends first."""
    stop_timeout: float = 10.0
    """Seconds `stop` gives the process to exit on `stop_signal` before SIGKILL."""
    close_timeout: float = 10.0
    """Seconds `close` gives it."""
    dir: str | os.PathLike[str]
    """The folder of its files: deleted by `close`."""
    _process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> Self:
        """Start the process and wait until it is ready."""
        raise NotImplementedError

    def _running(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise RuntimeError(f"{type(self).__name__} has not been started")
        return self._process

    @property
    def pid(self) -> int:
        """Process id of its main process (also its process group id)."""
        return self._running().pid

    def stop(self, timeout: float | None = None) -> int | None:
        """Stop it: `stop_signal`, then SIGKILL for its group after `timeout` s (`stop_timeout`).

        Returns its exit code, or `None` if it was never started.
        """
        if self._process is None:
            return None
        grace = self.stop_timeout if timeout is None else timeout
        return stop_group(self._process, self.stop_signal, grace)

    def restart(self) -> Self:
        """Stop it and start it again."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop it if it runs, reap it, and delete its folder."""
        self.stop(self.close_timeout)
        shutil.rmtree(self.dir, ignore_errors=True)


class AppFailedToStart(RuntimeError):
    """The process exited, or never answered HTTP, before its start-up deadline.

    The message holds everything the process printed, so a good twin's
    one-line complaint about missing config shows in the proof's failure.
    `returncode` is the process's exit status, or None when it was still
    running at the deadline (and was killed); `output` is what it printed.

    Example:
        ```python
        import pytest

        from proven import AppProcess
        from proven.processes import AppFailedToStart

        app = AppProcess("stateless-processes/hit-counter/good", env={})
        try:
            with pytest.raises(AppFailedToStart, match="REDIS_URL") as failed:
                app.start()
            assert failed.value.returncode == 3
        finally:
            app.close()
        ```
    """

    def __init__(self, message: str, returncode: int | None, output: str) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.output = output


def gunicorn_command(example: Path, port: int = 0) -> list[str]:
    """The argv that serves `example/app.py`'s `app` as a reader does: plain gunicorn.

    `gunicorn --bind 127.0.0.1:PORT --pythonpath EXAMPLE app:app`, the command
    the pages give, with nothing added. gunicorn keeps its control socket in
    `$XDG_RUNTIME_DIR`, which [`AppProcess`][proven.processes.AppProcess] makes
    private to each start, as a container's is: two copies never share one. No
    `--preload`: the worker imports the app, as it does for a reader, so an
    app that stops at start is seen as gunicorn shows it. A good twin exits 3
    ("worker failed to boot") and the master halts with it; an app that exits
    with any other status is re-forked forever, and its start times out.

    Example:
        ```python
        from pathlib import Path

        from proven.processes import gunicorn_command

        argv = gunicorn_command(Path("examples/stateless-processes/hit-counter/good"), 8000)
        assert argv[1:3] == ["-m", "gunicorn"]
        assert argv[3:] == [
            "--bind",
            "127.0.0.1:8000",
            "--pythonpath",
            "examples/stateless-processes/hit-counter/good",
            "app:app",
        ]
        ```
    """
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--pythonpath",
        str(example),
        "app:app",
    ]


def script_command(script: str) -> CommandBuilder:
    """A `CommandBuilder` that runs `python <script>` of the example folder.

    The command a Procfile line such as `web: python app.py` or
    `worker: python worker.py` runs: the script serves itself (on the port the
    proof gives it in `PORT`), or serves nothing at all.

    Example:
        ```python
        import sys
        from pathlib import Path

        from proven.processes import script_command

        argv = script_command("worker.py")(Path("examples/concurrency/jobs/good"), 0)
        assert argv == [sys.executable, "examples/concurrency/jobs/good/worker.py"]
        ```
    """

    def command(example: Path, port: int) -> list[str]:
        return [sys.executable, str(example / script)]

    return command


def resolve_example(example: Path | str) -> Path:
    """An example folder, given as a path or relative to `examples/`.

    Example:
        ```python
        from proven.paths import EXAMPLES_DIR
        from proven.processes import resolve_example

        folder = resolve_example("stateless-processes/hit-counter/good")
        assert folder == EXAMPLES_DIR / "stateless-processes/hit-counter/good"
        ```
    """
    folder = Path(example)
    if not folder.is_absolute():
        folder = EXAMPLES_DIR / folder
    if not (folder / "app.py").is_file():
        raise FileNotFoundError(f"no app.py in example folder {folder}")
    return folder


class AppProcess(GroupProcess):
    """One running copy of an example app, as a real OS process.

    Each start gets a fresh, empty working directory (also its `TMPDIR`): like
    a new container, a restarted process does not find what an earlier one
    wrote to its local disk. The environment holds only `PATH`, `LANG`, `HOME`,
    `TMPDIR`, a private `XDG_RUNTIME_DIR` (where gunicorn keeps its control
    socket), the variables the proof passes and nothing inherited from the test
    run (but what [`inherited`][proven.processes.AppProcess.inherited] names),
    so an app sees exactly the config a proof gives it.

    A restart stops it with SIGTERM (30 s of grace, as gunicorn's default
    drain) and starts a new one on the same port with a fresh disk.

    `port` is the port to poll when the process binds one the proof chose (for
    instance from `PORT`, see [`free_port`][proven.services.free_port]) and
    prints no `http://127.0.0.1:N` line; by default the port is read from the
    first such line of its output.

    With `copy_code=True` the working directory of each start is instead a
    fresh copy of the files of the `example` folder that a deploy ships (see
    [`shipped_files`][proven.paths.shipped_files]: not its caches, nor what
    running it by hand left there), which may hold any app in any language:
    `proven check` runs a team's own app that way.

    Example:
        ```python
        import requests

        from proven import AppProcess

        with AppProcess("stateless-processes/hit-counter/bad") as app:
            assert requests.post(f"{app.url}/hits", timeout=5).json() == {"hits": 1}
            app.restart()
            assert requests.get(f"{app.url}/hits", timeout=5).json() == {"hits": 0}
        ```
    """

    stop_timeout = 30.0
    close_timeout = 5.0
    inherited: tuple[str, ...] = ()
    """Variables of the caller's own environment that also reach every start: none.

    The swap check's runs set `SWAP_SERVICE_VARIABLES` here (the plugin's
    `swap_check_services`); nothing else does, so an app gets only what its
    caller gives it.
    """

    def __init__(
        self,
        example: Path | str,
        env: Mapping[str, str] | None = None,
        command: CommandBuilder = gunicorn_command,
        ready_path: str = "/",
        start_timeout: float = 20.0,
        port: int = 0,
        copy_code: bool = False,
    ) -> None:
        self.example = Path(example).resolve() if copy_code else resolve_example(example)
        self.copy_code = copy_code
        """Whether each start runs in a fresh copy of `example` (any app, not only an `app.py`)."""
        self.env = dict(env or {})
        self.command = command
        self.ready_path = ready_path
        self.start_timeout = start_timeout
        self.port = port
        """The port it answers on: given (`port=`), or read from its output at first start."""
        self.starts = 0
        self.spawned_at = 0.0
        """`time.monotonic()` when the current start's process was launched, after any copy."""
        self.dir = Path(proof_dir("app"))

    @property
    def url(self) -> str:
        """Base URL of the running process, such as `http://127.0.0.1:41234`."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def disk(self) -> Path:
        """The working directory of the current start: the process's local disk."""
        return self.dir / f"disk-{self.starts}"

    @property
    def log_path(self) -> Path:
        """File that receives the current start's stdout and stderr."""
        return self.dir / f"output-{self.starts}.log"

    def output(self) -> str:
        """Everything the current start has printed to stdout and stderr so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def spawn(self) -> subprocess.Popen[bytes]:
        """Start the process without waiting for it to answer (see `start`)."""
        if self._process is not None and self._process.poll() is None:
            raise RuntimeError("the app is already running; stop it first")
        self.starts += 1
        if self.copy_code:
            copy_shipped(self.example, self.disk)
        (self.disk / "tmp").mkdir(parents=True, exist_ok=True)
        runtime = self.dir / f"run-{self.starts}"
        runtime.mkdir(mode=0o700)
        inherited = {k: os.environ[k] for k in self.inherited if k in os.environ}
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": str(self.disk),
            "TMPDIR": str(self.disk / "tmp"),
            "XDG_RUNTIME_DIR": str(runtime),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            **inherited,
            **self.env,
        }
        self.spawned_at = time.monotonic()
        self._process = start_group(
            self.command(self.example, self.port), self.log_path, cwd=self.disk, env=env
        )
        return self._process

    def start(self) -> AppProcess:
        """Start the process and wait until it answers HTTP on its port."""
        process = self.spawn()
        outcome = self.outcome(self.start_timeout)
        if outcome == "serving":
            return self
        if outcome == "crashed":
            output = self.output()
            raise AppFailedToStart(
                f"{self.example} exited with code {process.returncode} before "
                f"answering HTTP:\n{output}",
                process.returncode,
                output,
            )
        self.kill()
        output = self.output()
        raise AppFailedToStart(
            f"{self.example} did not answer HTTP within {self.start_timeout} s:\n{output}",
            None,
            output,
        )

    def outcome(self, timeout: float = 20.0) -> str:
        """How the current start turns out, without failing when it crashes.

        Waits up to `timeout` seconds and returns `"serving"` once it answers
        HTTP on its port, `"crashed"` if it exits first, or `"still starting"`.
        Use it after [`spawn`][proven.processes.AppProcess.spawn] where
        crashing while booting is what a proof observes.
        """
        process = self._running()

        def settled() -> str:
            if process.poll() is not None:
                return "crashed"
            if not self.port:
                found = _LISTENING.search(self.output())
                self.port = int(found.group(1)) if found else 0
            return "serving" if self.port and self._answers() else ""

        return poll(settled, timeout) or "still starting"

    def listening(self, timeout: float = 20.0) -> str:
        """Where the current start says it listens, without asking it anything.

        Waits up to `timeout` seconds for gunicorn's `Listening at: http://ADDRESS`
        line and returns `"listening at ADDRESS"`, `"exit N"` if the process
        exits first, or `"still starting"`. A process that binds another port
        than the proof expected, or none, is an outcome here, not a failure.
        """
        process = self._running()

        def said() -> str:
            found = _LISTENING_AT.search(self.output())
            if found:
                return f"listening at {found.group(1)}"
            return f"exit {process.returncode}" if process.poll() is not None else ""

        return poll(said, timeout) or "still starting"

    def wait_for_output(self, text: str, timeout: float = 20.0) -> None:
        """Wait until the current start has printed `text` (a worker's "ready" line, say).

        Raises `AssertionError` if the process exits first or `timeout` seconds pass.
        """
        process = self._running()

        def printed() -> bool:
            if text in self.output():
                return True
            if process.poll() is not None:
                raise AssertionError(f"exited before printing {text!r}:\n{self.output()}")
            return False

        if not poll(printed, timeout, interval=0.02):
            raise AssertionError(f"no {text!r} after {timeout} s:\n{self.output()}")

    def _answers(self) -> bool:
        try:
            requests.get(self.url + self.ready_path, timeout=2)
        except (requests.ConnectionError, requests.Timeout):
            return False
        return True

    def send_signal(self, signum: int) -> None:
        """Send a signal to the server's main process (gunicorn's master)."""
        self._running().send_signal(signum)

    def wait_exit(self, timeout: float = 30.0) -> int:
        """Wait for the main process to exit and return its exit code."""
        process = self._running()
        code = process.wait(timeout)
        kill_group(process)
        return code

    def kill(self) -> None:
        """Kill the whole process group with SIGKILL: a crash, no clean-up."""
        kill_group(self._running())

    def crash_and_restart(self) -> AppProcess:
        """Kill the process with SIGKILL and start a new one on the same port."""
        self.kill()
        return self.start()


@dataclass(frozen=True)
class Exit:
    """How a process that was expected to stop on its own ended: what `run_to_exit` returns.

    Example:
        ```python
        from proven.processes import Exit

        ended = Exit(code=1, output="REDIS_URL must be a redis:// URL (got nothing)\n")
        assert ended.code != 0 and "Traceback" not in ended.output
        ```
    """

    code: int | None
    """Exit code, or `None` if the process was still running at the deadline."""
    output: str
    """Everything it printed on stdout and stderr."""


def run_to_exit(
    example: Path | str,
    env: Mapping[str, str] | None = None,
    command: CommandBuilder = gunicorn_command,
    timeout: float = 15.0,
) -> Exit:
    """Start an example and wait for it to exit on its own, e.g. on missing config.

    `code` is None when it is still running after `timeout` seconds, or as soon
    as it answers HTTP on its port: a process that serves has started, and
    waiting out the time-out would only tell the same thing later.

    Example:
        ```python
        from proven import run_to_exit

        ended = run_to_exit("stateless-processes/hit-counter/good", env={})
        assert ended.code != 0
        assert "REDIS_URL" in ended.output
        ```
    """
    app = AppProcess(example, env=env, command=command)
    try:
        process = app.spawn()
        code = process.returncode if app.outcome(timeout) == "crashed" else None
        app.stop(timeout=5)
        return Exit(code=code, output=app.output())
    finally:
        app.close()


def close_all(apps: list[AppProcess]) -> None:
    """Stop and clean up several apps side by side.

    A graceful gunicorn stop takes about a second; stopping eight copies one
    after another would add eight seconds to a proof.

    Example:
        ```python
        from proven import AppProcess
        from proven.processes import close_all

        apps = [AppProcess("stateless-processes/hit-counter/bad").start() for _ in range(3)]
        close_all(apps)
        assert all(app.output() == "" for app in apps)
        ```
    """
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(AppProcess.close, apps))
