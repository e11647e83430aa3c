"""Process managers: honcho runs a Procfile's formation, supervisord supervises a process.

A Procfile platform (Heroku, Dokku, Foreman and its Python port honcho) runs
an app's process types at the formation it is given, and a process manager
(supervisord, systemd, the platform itself) restarts a process that exits.
The concurrency proofs run both for real on an example.

Each manager runs on a fresh copy of the example folder (a "slug", so nothing
is written into the repository) and tags every process it starts with a
marker in its environment. [`close`][proven.managers.Managed.close] stops the
manager and then kills every process that still carries the marker, daemons
that escaped their manager included.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import requests

from proven.hygiene import proof_dir
from proven.paths import EXAMPLES_DIR, copy_shipped
from proven.processes import start_group, stop_group
from proven.services import free_port
from proven.waiting import poll, wait_for

MARKER = "PROOF_PROCESS_MANAGER"
"""The environment variable that tags every process a manager starts (its value: a uuid)."""

VENV_BIN = str(Path(sys.executable).parent)
"""The folder of the test run's `python`, first on a manager's `PATH`: `gunicorn` is found there."""

WORKER_READY = "worker ready"
"""What an example's worker process prints once it takes jobs."""


def processes_marked(marker: str) -> list[int]:
    """Pids of the processes whose environment carries `MARKER=marker` (read from /proc).

    Example:
        ```python
        import os
        import subprocess
        import uuid

        from proven.managers import MARKER, kill_marked, processes_marked
        from proven.waiting import wait_for

        marker = uuid.uuid4().hex
        sleeper = subprocess.Popen(["sleep", "30"], env={**os.environ, MARKER: marker})
        assert wait_for(lambda: processes_marked(marker), timeout=10) == [sleeper.pid]
        kill_marked(marker)
        assert sleeper.wait(timeout=5) == -9
        ```
    """
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


def parent_pid(pid: int) -> int | None:
    """The pid of the parent of process `pid` (read from /proc), or None once it is gone.

    Example:
        ```python
        import os

        from proven.managers import parent_pid

        assert parent_pid(os.getpid()) == os.getppid()
        ```
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the command name, which is in parentheses and may hold spaces: state, ppid.
    return int(stat.rpartition(")")[2].split()[1])


def kill_marked(marker: str) -> None:
    """SIGKILL every process tagged with `marker`, until none is left (2.5 s at most).

    Example:
        ```python
        import uuid

        from proven.managers import kill_marked, processes_marked

        marker = uuid.uuid4().hex
        kill_marked(marker)  # nothing carries it: returns at once
        assert processes_marked(marker) == []
        ```
    """

    def none_left() -> bool:
        pids = processes_marked(marker)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return not pids

    poll(none_left, timeout=2.5)


def _answers(url: str) -> bool:
    """Whether `url` answers HTTP 200 right now."""
    try:
        return requests.get(url, timeout=2).ok
    except requests.ConnectionError:
        return False


class Managed:
    """A process manager run on a fresh copy of an example folder.

    [`Formation`][proven.managers.Formation] and
    [`Supervised`][proven.managers.Supervised] say which manager and how; this
    class copies the folder, picks the `web` port, runs the manager and cleans
    up after it.

    Example:
        ```python
        import sys

        from proven.managers import Managed

        managed = Managed("concurrency/foreground/good")
        try:
            assert (managed.slug / "Procfile").is_file()
            managed.run([sys.executable, "-c", "print('managing')"])
            assert managed.process is not None and managed.process.wait(timeout=10) == 0
            assert managed.output().splitlines() == ["managing"]
        finally:
            managed.close()
        ```
    """

    def __init__(self, example: str, env: dict[str, str] | None = None) -> None:
        self.root = Path(proof_dir("slug"))
        self.slug = self.root / "app"
        """The copy of the example folder the manager runs in."""
        copy_shipped(EXAMPLES_DIR / example, self.slug)
        self.port = free_port()
        """The port of the `web` process."""
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
        """The manager's own process, once it runs."""

    @property
    def url(self) -> str:
        """Where the `web` process listens."""
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        """Everything the manager has printed: its own lines and its processes' output."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def run(self, argv: list[str]) -> None:
        """Start the manager's command in the slug, with the marked environment."""
        self.process = start_group(argv, self.log_path, cwd=self.slug, env=self.env)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM the manager (it stops its processes) and wait for it to exit."""
        if self.process is None:
            return None
        return stop_group(self.process, signal.SIGTERM, timeout)

    def close(self) -> None:
        """Stop the manager, kill anything it left behind, delete the slug."""
        try:
            self.stop(timeout=10)
        finally:
            kill_marked(self.marker)
            shutil.rmtree(self.root, ignore_errors=True)


class Formation(Managed):
    """`honcho start` on an example's Procfile at a formation such as `web=1,worker=3`.

    honcho, like Foreman, stops the whole formation when one process exits; it
    never restarts one.

    Example:
        ```python
        from proven import RedisServer
        from proven.managers import Formation

        with RedisServer() as redis_server:
            formation = Formation("concurrency/jobs/good", {"REDIS_URL": redis_server.url})
            try:
                formation.start("web=1,worker=2")
                assert sorted(formation.started("worker")) == ["worker.1", "worker.2"]
            finally:
                formation.close()
        ```
    """

    def start(self, formation: str) -> Formation:
        """Run the formation; wait until `web` answers and every worker is ready."""
        self.run(
            [sys.executable, "-m", "honcho", "--no-colour", "start"]
            + ["-p", str(self.port), "-c", formation]
        )
        wait_for(self.web_answers, what="the web process")
        workers = int(dict(p.split("=") for p in formation.split(",")).get("worker", 0))
        if "worker:" in (self.slug / "Procfile").read_text():
            wait_for(lambda: self.output().count(WORKER_READY) >= workers, what="workers")
        return self

    def web_answers(self) -> bool:
        """Whether the `web` process answers HTTP (any status); fail if honcho exited."""
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"honcho exited with {self.process.returncode}:\n{self.output()}")
        try:
            requests.get(self.url + "/", timeout=2)
        except requests.ConnectionError:
            return False
        return True

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
"""supervisord's configuration: one program, `web`, restarted whenever it exits."""


class Supervised(Managed):
    """supervisord running the `web` line of an example's Procfile, restarting it when it exits.

    Example:
        ```python
        from proven.managers import Supervised
        from proven.waiting import wait_for

        supervised = Supervised("concurrency/foreground/good")
        try:
            supervised.start()
            assert wait_for(lambda: supervised.status() == "RUNNING", timeout=20)
        finally:
            supervised.close()
        ```
    """

    def __init__(self, example: str, env: dict[str, str] | None = None) -> None:
        super().__init__(example, env)
        procfile = (self.slug / "Procfile").read_text()
        self.command = re.search(r"^web:\s*(.+)$", procfile, re.MULTILINE).group(1).strip()
        """The `web` line of the Procfile."""
        self.conf = self.root / "supervisord.conf"
        self.copies: list[subprocess.Popen[bytes]] = []
        """Copies started by `second_copy`, stopped on `close`."""

    def start(self) -> Supervised:
        """Run supervisord and wait until it listens on its control socket."""
        self.conf.write_text(
            SUPERVISORD_CONF.format(
                root=self.root, slug=self.slug, port=self.port, command=self.command
            )
        )
        self.run([sys.executable, "-m", "supervisor.supervisord", "-c", str(self.conf)])
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
        copy = start_group(
            ["/bin/sh", "-c", f"exec {self.command}"],
            cwd=self.slug,
            env={**self.env, "PORT": str(port)},
        )
        self.copies.append(copy)
        url = f"http://127.0.0.1:{port}/"
        poll(lambda: _answers(url), timeout=3, interval=0.1)
        return copy.poll(), _answers(url)

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
