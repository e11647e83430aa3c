"""Process managers for the concurrency proofs: honcho runs a Procfile, supervisord supervises.

Both run a copy of the example folder (a fresh "slug", so nothing is written
into the repository) and tag every process they start with a marker in its
environment. Teardown stops the manager and then kills every process that
still carries the marker, daemons that escaped their manager included.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from proven.hygiene import proof_dir
from proven.paths import EXAMPLES_DIR
from proven.services import free_port
from proven.waiting import wait_for

MARKER = "PROOF_PROCESS_MANAGER"
VENV_BIN = str(Path(sys.executable).parent)


def processes_marked(marker: str) -> list[int]:
    """Pids of the processes whose environment carries `MARKER=marker`."""
    tag = f"{MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if tag in environ:
            found.append(int(entry.name))
    return found


def kill_marked(marker: str) -> None:
    """SIGKILL every process tagged with `marker`, until none is left."""
    for _ in range(50):
        pids = processes_marked(marker)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)


def answers(url: str) -> bool:
    """Whether `url` answers HTTP 200 right now."""
    try:
        return requests.get(url, timeout=2).ok
    except requests.ConnectionError:
        return False


class Managed:
    """A process manager run on a fresh copy of an example folder."""

    def __init__(self, example: str, env: dict[str, str] | None = None) -> None:
        self.root = Path(proof_dir("slug"))
        self.slug = self.root / "app"
        shutil.copytree(EXAMPLES_DIR / example, self.slug)
        self.port = free_port()
        self.marker = uuid.uuid4().hex
        self.log_path = self.root / "manager.log"
        self.env = {
            "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "LANG": "C.UTF-8",
            "HOME": str(self.slug),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            MARKER: self.marker,
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where the `web` process listens."""
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        """Everything the manager has printed: its own lines and its processes' output."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def run(self, argv: list[str]) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                argv,
                cwd=self.slug,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM the manager (it stops its processes) and wait for it to exit."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        return self.close_group()

    def close_group(self) -> int | None:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return self.process.wait()

    def close(self) -> None:
        """Stop the manager, kill anything it left behind, delete the slug."""
        try:
            self.stop(timeout=10)
        finally:
            kill_marked(self.marker)
            shutil.rmtree(self.root, ignore_errors=True)


class Formation(Managed):
    """`honcho start` on an example's Procfile at a formation such as `web=1,worker=3`."""

    def start(self, formation: str) -> Formation:
        self.run(
            [sys.executable, "-m", "honcho", "--no-colour", "start"]
            + ["-p", str(self.port), "-c", formation]
        )
        wait_for(self.web_answers, what="the web process")
        workers = int(dict(p.split("=") for p in formation.split(",")).get("worker", 0))
        if "worker:" in (self.slug / "Procfile").read_text():
            wait_for(lambda: self.output().count("worker ready") >= workers, what="workers")
        return self

    def web_answers(self) -> bool:
        """Whether the `web` process answers (404 for an unknown job); fail if honcho exited."""
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"honcho exited with {self.process.returncode}:\n{self.output()}")
        try:
            return requests.get(self.url + "/jobs/none", timeout=2).status_code == 404
        except requests.ConnectionError:
            return False

    def started(self, process_type: str) -> list[str]:
        """Names honcho gave the processes of one type it started, like `worker.2`."""
        return re.findall(rf"({process_type}\.\d+) started", self.output())


SUPERVISORD_CONF = """\
[supervisord]
nodaemon=true
logfile={root}/supervisord.log
pidfile={root}/supervisord.pid
childlogdir={root}

[unix_http_server]
file={root}/supervisor.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{root}/supervisor.sock

[program:web]
command=/bin/sh -c "exec {command}"
directory={slug}
environment=PORT="{port}"
autorestart=true
startsecs=1
startretries=1
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile={root}/web.log
"""


class Supervised(Managed):
    """supervisord running the `web` line of an example's Procfile, restarting it when it exits."""

    def start(self) -> Supervised:
        procfile = (self.slug / "Procfile").read_text()
        command = re.search(r"^web:\s*(.+)$", procfile, re.MULTILINE).group(1).strip()
        self.command = command
        self.copies: list[subprocess.Popen[bytes]] = []
        conf = self.root / "supervisord.conf"
        conf.write_text(
            SUPERVISORD_CONF.format(root=self.root, slug=self.slug, port=self.port, command=command)
        )
        self.conf = conf
        self.run([sys.executable, "-m", "supervisor.supervisord", "-c", str(conf)])
        wait_for(lambda: (self.root / "supervisor.sock").exists(), what="supervisord")
        return self

    def status(self) -> str:
        """What supervisord says of `web`: RUNNING, BACKOFF, FATAL, EXITED..."""
        ctl = [sys.executable, "-m", "supervisor.supervisorctl", "-c", str(self.conf)]
        done = subprocess.run(
            [*ctl, "status", "web"], capture_output=True, text=True, env=self.env, timeout=10
        )
        words = done.stdout.split()
        return words[1] if len(words) > 1 else done.stdout

    def second_copy(self) -> tuple[int | None, bool]:
        """Start the `web` line again in the same folder on another port, as a restart would.

        Returns its exit code if it exited within 3 s (None if it still runs), and
        whether anything answers on its port by then.
        """
        port = free_port()
        copy = subprocess.Popen(
            ["/bin/sh", "-c", f"exec {self.command}"],
            cwd=self.slug,
            env={**self.env, "PORT": str(port)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.copies.append(copy)
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and not answers(url):
            time.sleep(0.1)
        return copy.poll(), answers(url)

    def close(self) -> None:
        """Stop supervisord and every copy, kill anything left behind, delete the slug."""
        for copy in self.copies:
            if copy.poll() is None:
                copy.send_signal(signal.SIGTERM)
        try:
            super().close()
        finally:
            for copy in self.copies:
                copy.wait()

    def web_output(self) -> str:
        """What the `web` program printed, as supervisord logged it."""
        path = self.root / "web.log"
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture
def start_formation() -> Iterator[Callable[..., Formation]]:
    """Run an example's Procfile with honcho; every process is gone after the proof."""
    started: list[Formation] = []

    def start(example: str, formation: str, env: dict[str, str] | None = None) -> Formation:
        managed = Formation(example, env)
        started.append(managed)
        return managed.start(formation)

    yield start
    for managed in started:
        managed.close()


@pytest.fixture
def supervise() -> Iterator[Callable[..., Supervised]]:
    """Run an example's `web` process under supervisord; every process is gone afterwards."""
    started: list[Supervised] = []

    def start(example: str) -> Supervised:
        managed = Supervised(example)
        started.append(managed)
        return managed.start()

    yield start
    for managed in started:
        managed.close()
