"""Resource hygiene: find what a test run left behind, from /proc (Linux).

A proof run must leave nothing: no process it started, no temporary
directory of the harness (`proof-app-*`, `proof-redis-*`, `proof-postgres-*`)
and no listening port. The session check of the plugin (`proven.plugin`) records the
directories the harness creates and, when the run ends, fails it if any of
these remains:

- a process that descends from the test run (a zombie included: a child
  nobody reaped);
- a process whose working directory is one of the run's directories, even if
  it was orphaned and adopted by init (redis-server, PostgreSQL and gunicorn
  all run inside their temporary directory);
- a listening TCP socket owned by such a process;
- one of the run's directories, still on disk.

Other people's processes on the same machine are never counted: only the
run's own descendants and directories are.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

PROC = Path("/proc")

SUITE_DIRS: list[str] = []
"""Every temporary directory the harness made in this test run, for the leftover check."""


def proof_dir(name: str) -> str:
    """Make a temporary directory `proof-<name>-*` and record it in `SUITE_DIRS`.

    Every folder of a proof's processes and servers comes from here, so the
    check at the end of the run knows what to look for.

    Example:
        ```python
        import os

        from proven.hygiene import SUITE_DIRS, proof_dir

        folder = proof_dir("example")
        assert os.path.basename(folder).startswith("proof-example-")
        assert SUITE_DIRS[-1] == folder
        os.rmdir(folder)
        ```
    """
    path = tempfile.mkdtemp(prefix=f"proof-{name}-")
    SUITE_DIRS.append(path)
    return path


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _stat(pid: int) -> tuple[str, int]:
    """(state, parent pid) of a process, or ("", 0) when it is gone."""
    raw = _read(PROC / str(pid) / "stat")
    if not raw:
        return "", 0
    fields = raw[raw.rfind(")") + 2 :].split()
    return fields[0], int(fields[1])


def _command(pid: int) -> str:
    text = _read(PROC / str(pid) / "cmdline").replace("\0", " ").strip()
    return text or _read(PROC / str(pid) / "comm").strip()


def _cwd(pid: int) -> str:
    try:
        return os.readlink(PROC / str(pid) / "cwd")
    except OSError:
        return ""


def _link(fd: Path) -> str:
    """Where a file descriptor points, or "" when it was closed after the listing."""
    try:
        return os.readlink(fd)
    except OSError:
        return ""


def _pids() -> list[int]:
    return [int(entry.name) for entry in PROC.iterdir() if entry.name.isdigit()]


def descendants(root: int) -> set[int]:
    """Every process below `root` in the process tree (zombies included).

    Example:
        ```python
        import os
        import subprocess

        from proven.hygiene import descendants

        sleeper = subprocess.Popen(["sleep", "30"])
        assert sleeper.pid in descendants(os.getpid())
        sleeper.kill()
        sleeper.wait()  # reaped: gone from the tree
        assert sleeper.pid not in descendants(os.getpid())
        ```
    """
    parents = {pid: _stat(pid)[1] for pid in _pids()}
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def listening_ports(pids: Iterable[int]) -> dict[int, set[int]]:
    """The TCP ports each of `pids` listens on.

    Example:
        ```python
        import os
        import socket

        from proven.hygiene import listening_ports

        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen()
            port = server.getsockname()[1]
            assert port in listening_ports([os.getpid()])[os.getpid()]
        assert port not in listening_ports([os.getpid()]).get(os.getpid(), set())
        ```
    """
    inodes: dict[str, int] = {}
    for table in ("tcp", "tcp6"):
        for line in _read(PROC / "net" / table).splitlines()[1:]:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A":  # 0A: LISTEN
                inodes[fields[9]] = int(fields[1].rsplit(":", 1)[1], 16)
    ports: dict[int, set[int]] = {}
    for pid in pids:
        try:
            fds = list((PROC / str(pid) / "fd").iterdir())
        except OSError:
            continue
        for link in filter(None, map(_link, fds)):
            if link.startswith("socket:[") and link[8:-1] in inodes:
                ports.setdefault(pid, set()).add(inodes[link[8:-1]])
    return ports


def _suspects(folders: list[str], me: int) -> set[int]:
    found = descendants(me)
    for pid in _pids():
        cwd = _cwd(pid)
        if pid != os.getpid() and any(cwd == f or cwd.startswith(f + "/") for f in folders):
            found.add(pid)
    return found


def leftovers(directories: Iterable[str], root_pid: int | None = None) -> list[str]:
    """What remains of a run: one line per process, port or directory.

    `directories` are the run's temporary directories; `root_pid` is the run
    itself (default: this process), whose descendants must all be gone.

    Example:
        ```python
        import subprocess
        import tempfile

        from proven.hygiene import leftovers

        folder = tempfile.mkdtemp(prefix="proof-example-")
        sleeper = subprocess.Popen(["sleep", "30"], cwd=folder)
        # root_pid=sleeper.pid: judge by the folder alone, not by this run's other children.
        found = leftovers([folder], root_pid=sleeper.pid)
        assert any("sleep 30" in line for line in found)
        sleeper.kill()
        sleeper.wait()
        assert leftovers([folder], root_pid=sleeper.pid) == [f"directory {folder}"]
        subprocess.run(["rmdir", folder], check=True)
        assert leftovers([folder], root_pid=sleeper.pid) == []
        ```
    """
    folders = [str(Path(d)) for d in directories]
    me = os.getpid() if root_pid is None else root_pid
    suspects = _suspects(folders, me)
    ports = listening_ports(suspects)
    lines = []
    for pid in sorted(suspects):
        state, _ = _stat(pid)
        if not state:
            continue
        what = "zombie (never reaped)" if state == "Z" else "process"
        listening = f", listening on {sorted(ports[pid])}" if pid in ports else ""
        lines.append(f"{what} {pid}{listening}: {_command(pid)[:200]} (cwd {_cwd(pid) or '?'})")
    lines += [f"directory {f}" for f in folders if os.path.exists(f)]
    return lines


def wait_until_clean(
    directories: Iterable[str], root_pid: int | None = None, timeout: float = 5.0
) -> list[str]:
    """`leftovers`, asked again until it is empty or `timeout` seconds have passed.

    Killed processes take a moment to disappear from /proc (init reaps the
    orphans of a killed process group): only what remains after the wait counts.

    Example:
        ```python
        import subprocess
        import tempfile

        from proven.hygiene import leftovers, wait_until_clean

        folder = tempfile.mkdtemp(prefix="proof-example-")
        # A clean-up still under way: the directory goes half a second from now.
        cleaner = subprocess.Popen(["sh", "-c", f"sleep 0.5 && rmdir {folder}"])
        assert f"directory {folder}" in leftovers([folder], root_pid=cleaner.pid)
        assert wait_until_clean([folder], root_pid=cleaner.pid, timeout=10) == []
        assert cleaner.wait(timeout=5) == 0
        ```
    """
    folders = list(directories)
    deadline = time.monotonic() + timeout
    while True:
        found = leftovers(folders, root_pid)
        if not found or time.monotonic() >= deadline:
            return found
        time.sleep(0.1)


def remove_leftovers(directories: Iterable[str], root_pid: int | None = None) -> None:
    """Kill (SIGKILL) the processes and delete the directories that `leftovers` reports.

    Called after a run has been failed for them, so the machine is clean for
    the next run.

    Example:
        ```python
        import subprocess
        import tempfile

        from proven.hygiene import leftovers, remove_leftovers

        folder = tempfile.mkdtemp(prefix="proof-example-")
        sleeper = subprocess.Popen(["sleep", "30"], cwd=folder)
        remove_leftovers([folder], root_pid=sleeper.pid)
        assert sleeper.wait(timeout=5) == -9  # killed with SIGKILL
        assert leftovers([folder], root_pid=sleeper.pid) == []
        ```
    """
    folders = [str(Path(d)) for d in directories]
    me = os.getpid() if root_pid is None else root_pid
    for pid in _suspects(folders, me):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
