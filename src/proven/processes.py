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

import requests

from proven.hygiene import proof_dir
from proven.paths import EXAMPLES_DIR

CommandBuilder = Callable[[Path, int], list[str]]
"""Builds the argv that serves an example folder on a port (0: the server picks one)."""

_LISTENING = re.compile(r"http://127\.0\.0\.1:(\d+)")


SWAP_TWINS = "PROOF_SWAP_TWINS"
"""Set to `1` by the non-vacuity check, which runs the proofs in a copy of the project.

A proof must fail when its bad and good twins trade places; otherwise it
proves nothing. `tools/swap_check.py` copies the project, swaps the `bad/`
and `good/` folders of the pairs it checks, runs their proofs there with this
variable set, and reports those that still pass.
"""

SWAP_SERVICE_VARIABLES = ("REDIS_URL", "DATABASE_URL")
"""Under `PROOF_SWAP_TWINS=1`, these variables of the test run also reach every app.

A proof often starts the bad twin without `REDIS_URL`, which it does not read;
swapped, the good twin would then refuse to start and the proof would fail
before its assertions. The swap check sets these to its own throwaway servers
(the same ones the `redis_url` and `database_url` fixtures then use), so the
swapped good twin finds them. A variable the proof passes itself wins.
"""


class AppFailedToStart(RuntimeError):
    """The process exited, or never answered HTTP, before its start-up deadline.

    The message holds everything the process printed, so a good twin's
    one-line complaint about missing config shows in the proof's failure.

    Example:
        ```python
        import pytest

        from proven import AppProcess
        from proven.processes import AppFailedToStart

        app = AppProcess("stateless-processes/hit-counter/good", env={})
        try:
            with pytest.raises(AppFailedToStart, match="REDIS_URL"):
                app.start()
        finally:
            app.close()
        ```
    """


def gunicorn_command(example: Path, port: int = 0) -> list[str]:
    """The argv that serves `example/app.py`'s `app` with one gunicorn worker.

    `--preload` loads the app in the master process, so an app that stops at
    start (for instance on missing config) makes gunicorn exit with its message
    instead of respawning workers forever.

    Example:
        ```python
        from pathlib import Path

        from proven.processes import gunicorn_command

        argv = gunicorn_command(Path("examples/stateless-processes/hit-counter/good"), 8000)
        assert argv[1:3] == ["-m", "gunicorn"]
        assert "127.0.0.1:8000" in argv
        ```
    """
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--preload",
        "--no-control-socket",
        "--pythonpath",
        str(example),
        "app:app",
    ]


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


class AppProcess:
    """One running copy of an example app, as a real OS process.

    Each start gets a fresh, empty working directory (also its `TMPDIR`): like
    a new container, a restarted process does not find what an earlier one
    wrote to its local disk. The environment holds only `PATH`, `LANG`, the
    variables the proof passes and nothing inherited from the test run, so an
    app sees exactly the config a proof gives it.

    `port` is the port to poll when the process binds one the proof chose (for
    instance from `PORT`, see [`free_port`][proven.services.free_port]) and
    prints no `http://127.0.0.1:N` line; by default the port is read from the
    first such line of its output.

    With `copy_code=True` the working directory of each start is instead a
    fresh copy of the `example` folder, which may hold any app in any
    language: `proven check` runs a team's own app that way.

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
        self._root = Path(proof_dir("app"))
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> AppProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        """Base URL of the running process, such as `http://127.0.0.1:41234`."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """Process id of the server's main process (also its process group id)."""
        return self._running().pid

    @property
    def disk(self) -> Path:
        """The working directory of the current start: the process's local disk."""
        return self._root / f"disk-{self.starts}"

    @property
    def log_path(self) -> Path:
        """File that receives the current start's stdout and stderr."""
        return self._root / f"output-{self.starts}.log"

    def output(self) -> str:
        """Everything the current start has printed to stdout and stderr so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def spawn(self) -> subprocess.Popen[bytes]:
        """Start the process without waiting for it to answer (see `start`)."""
        if self._process is not None and self._process.poll() is None:
            raise RuntimeError("the app is already running; stop it first")
        self.starts += 1
        if self.copy_code:
            shutil.copytree(self.example, self.disk, symlinks=True)
        (self.disk / "tmp").mkdir(parents=True, exist_ok=True)
        swapped = os.environ.get(SWAP_TWINS) == "1"
        services = {k: os.environ[k] for k in SWAP_SERVICE_VARIABLES if swapped and k in os.environ}
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": str(self.disk),
            "TMPDIR": str(self.disk / "tmp"),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            **services,
            **self.env,
        }
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                self.command(self.example, self.port),
                cwd=self.disk,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self._process

    def start(self) -> AppProcess:
        """Start the process and wait until it answers HTTP on its port."""
        process = self.spawn()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AppFailedToStart(
                    f"{self.example} exited with code {process.returncode} before "
                    f"answering HTTP:\n{self.output()}"
                )
            if not self.port:
                found = _LISTENING.search(self.output())
                self.port = int(found.group(1)) if found else 0
            if self.port and self._answers():
                return self
            time.sleep(0.05)
        self.kill()
        raise AppFailedToStart(
            f"{self.example} did not answer HTTP within {self.start_timeout} s:\n{self.output()}"
        )

    def wait_for_output(self, text: str, timeout: float = 20.0) -> None:
        """Wait until the current start has printed `text` (a worker's "ready" line, say).

        Raises `AssertionError` if the process exits first or `timeout` seconds pass.
        """
        process = self._running()
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if process.poll() is not None:
                raise AssertionError(f"exited before printing {text!r}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} after {timeout} s:\n{self.output()}")
            time.sleep(0.02)

    def _answers(self) -> bool:
        try:
            requests.get(self.url + self.ready_path, timeout=2)
        except (requests.ConnectionError, requests.Timeout):
            return False
        return True

    def _running(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise RuntimeError("the app has not been started")
        return self._process

    def send_signal(self, signum: int) -> None:
        """Send a signal to the server's main process (gunicorn's master)."""
        self._running().send_signal(signum)

    def wait_exit(self, timeout: float = 30.0) -> int:
        """Wait for the main process to exit and return its exit code."""
        code = self._running().wait(timeout)
        self._kill_group()
        return code

    def stop(self, timeout: float = 30.0) -> int:
        """Stop the process the way a platform does: SIGTERM, then SIGKILL after `timeout`."""
        process = self._running()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill_group()
        self._kill_group()
        return process.wait()

    def kill(self) -> None:
        """Kill the whole process group with SIGKILL: a crash, no clean-up."""
        self._kill_group()
        self._running().wait()

    def restart(self) -> AppProcess:
        """Stop the process and start a new one on the same port with a fresh disk."""
        self.stop()
        return self.start()

    def crash_and_restart(self) -> AppProcess:
        """Kill the process with SIGKILL and start a new one on the same port."""
        self.kill()
        return self.start()

    def close(self) -> None:
        """Stop the process if it runs, reap it, and delete its files."""
        if self._process is not None:
            self.stop(timeout=5)
        shutil.rmtree(self._root, ignore_errors=True)

    def _kill_group(self) -> None:
        process = self._running()
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return
        if process.poll() is None:
            process.wait()


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
        try:
            code: int | None = process.wait(timeout)
        except subprocess.TimeoutExpired:
            code = None
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
