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

An interrupted run leaves nothing either (Linux):

- SIGTERM, what a CI time-out or a cancelled job sends, ends a run as Ctrl-C
  does (see `Signals`): every fixture is torn down.
- A run killed outright (SIGKILL, or an xdist worker ended with `os._exit`)
  cannot tear anything down. Each process that starts processes or makes
  folders through the harness writes them to a *run registry*, a file
  `proven-run-<pid>-<start time>-<random>` in the temporary directory, and starts a
  *watchdog* the first time: a small Python process in a session of its own
  that holds the read end of a pipe whose write end only the run's process
  holds. The pipe reaches end-of-file when that process ends, however it
  ends; the watchdog then kills what the registry still lists and deletes
  the folders and the registry. `PR_SET_PDEATHSIG` is not used: it fires
  when the *thread* that started a child ends, not its process, and apps and
  servers are started from threads that end before them (the soak's fault
  injector restarts them from a thread of its own, `proven.soak`).
- If the watchdog died as well (a whole process tree killed), the next run
  reaps the registries of runs whose process is gone (`reap_dead_runs`).

A process is killed only if it is the one the registry names: its pid *and*
its start time (from /proc) match, so a pid the kernel reused for someone
else's process is never touched.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import FrameType

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
    _record(f"dir {path}")
    return path


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _fields(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (state first), or [] when gone."""
    raw = _read(PROC / str(pid) / "stat")
    return raw[raw.rfind(")") + 2 :].split() if raw else []


def _stat(pid: int) -> tuple[str, int]:
    """(state, parent pid) of a process, or ("", 0) when it is gone."""
    fields = _fields(pid)
    return (fields[0], int(fields[1])) if fields else ("", 0)


def _started(pid: int) -> int | None:
    """When a process started (clock ticks after boot), or `None` when it is gone.

    With its pid, this names one process: a pid the kernel reuses gets another start time.
    """
    fields = _fields(pid)
    return int(fields[19]) if fields else None


def is_running(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie (dead, waiting to be reaped).

    Example:
        ```python
        import subprocess

        from proven.hygiene import is_running

        sleeper = subprocess.Popen(["sleep", "30"])
        assert is_running(sleeper.pid)
        sleeper.kill()
        sleeper.wait()
        assert not is_running(sleeper.pid)
        ```
    """
    return _stat(pid)[0] not in ("", "Z")


def _group(pid: int) -> int | None:
    """The process group of a process, or `None` when it is gone."""
    fields = _fields(pid)
    return int(fields[2]) if fields else None


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
    if _watch.process is not None:
        found.discard(_watch.process.pid)  # it ends after the check, see `end_watch`
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


# --- Interrupted runs: SIGTERM as Ctrl-C, a watchdog, and the reaping of dead runs -----------


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived: raised in the main thread, so every `with` stops what it started.

    Example:
        ```python
        import signal

        from proven.hygiene import Interrupted

        stop = Interrupted(signal.SIGTERM)
        assert isinstance(stop, KeyboardInterrupt) and str(stop) == "SIGTERM"
        ```
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Signals:
    """While active, the first of `signums` raises `Interrupted`; later ones are ignored.

    Python's default for SIGTERM is to die at once, so that nothing is torn
    down: the servers, apps and folders in progress stay behind. Raised as a
    `KeyboardInterrupt`, it unwinds the way Ctrl-C does (pytest tears down
    every fixture; `proven check` leaves every `with`). Ignoring the later
    signals lets that clean-up finish: a CI runner that cancels a job sends
    SIGINT, then SIGTERM a few seconds later. The plugin holds
    `Signals(signal.SIGTERM)` for the whole run, in the controller and in every
    xdist worker (pytest handles SIGINT itself); `proven check` holds both.
    Outside the main thread it changes nothing (only there can a handler be set).

    Example:
        ```python
        import os
        import signal

        from proven.hygiene import Interrupted, Signals

        before = signal.getsignal(signal.SIGTERM)
        with Signals() as signals:
            try:
                os.kill(os.getpid(), signal.SIGTERM)
            except Interrupted as stop:
                assert stop.signum == signal.SIGTERM
            os.kill(os.getpid(), signal.SIGTERM)  # a second one: ignored
        assert signals.received == signal.SIGTERM
        assert signal.getsignal(signal.SIGTERM) == before
        ```
    """

    def __init__(self, *signums: int) -> None:
        self.signums = signums or (signal.SIGINT, signal.SIGTERM)
        """The signals it handles: SIGINT and SIGTERM unless named."""
        self.received: int | None = None
        """The first signal that arrived, if any."""
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum
            raise Interrupted(signum)

    def __enter__(self) -> Signals:
        if threading.current_thread() is threading.main_thread():
            for signum in self.signums:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()


REGISTRY_PREFIX = "proven-run-"
"""Name of a run registry in the temporary directory: `proven-run-<pid>-<start time>-<random>`."""


class _Watch:
    """This process's run registry and its watchdog, both made on first use."""

    lock = threading.Lock()
    owner: int = 0
    registry: Path | None = None
    process: subprocess.Popen[bytes] | None = None


_watch = _Watch()


def _record(line: str) -> None:
    """Append `line` to this process's run registry, starting the watchdog the first time."""
    with _watch.lock:
        if _watch.owner != os.getpid() or _watch.registry is None:
            _start_watch()
        assert _watch.registry is not None
        with open(_watch.registry, "a") as registry:
            registry.write(line + "\n")


def _start_watch() -> None:
    """Make this process's run registry and start its watchdog (see the module's docstring)."""
    me = os.getpid()
    # A new file (mode 0600, never one planted beforehand): a run trusts only its user's.
    handle, name = tempfile.mkstemp(prefix=f"{REGISTRY_PREFIX}{me}-{_started(me)}-")
    os.close(handle)
    registry = Path(name)
    package_parent = str(Path(__file__).resolve().parents[1])
    watchdog = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from proven.hygiene import _watchdog; _watchdog(sys.argv[2])"
    )
    _watch.process = subprocess.Popen(
        [sys.executable, "-c", watchdog, package_parent, str(registry)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # neither Ctrl-C nor a signal to the run's group reaches it
    )
    _watch.owner, _watch.registry = me, registry
    atexit.register(end_watch)


def _watchdog(registry: str) -> None:
    """The watchdog's body: wait for end-of-file on stdin (the run ended), then reap the run."""
    sys.stdin.buffer.read()
    _reap(Path(registry))


def end_watch(timeout: float = 10.0) -> None:
    """End this process's run: its watchdog reaps what the registry still lists, then exits.

    The plugin calls it once the leftover check is done, and it runs at exit
    anyway; a process that is killed reaches the same end without it (the
    watchdog sees the pipe close). Starting a process or a folder through the
    harness afterwards makes a new registry and a new watchdog.

    Example:
        ```python
        import os
        import subprocess
        import sys

        # A run that makes a folder and ends without deleting it: its watchdog does.
        run = "from proven.hygiene import proof_dir; print(proof_dir('example'))"
        made = subprocess.run([sys.executable, "-c", run], capture_output=True, text=True)
        folder = made.stdout.strip()
        assert folder and not os.path.exists(folder)
        ```
    """
    with _watch.lock:
        process, _watch.process, _watch.registry = _watch.process, None, None
        if process is None or _watch.owner != os.getpid():
            return
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass


def track_group(pid: int) -> None:
    r"""Record the process group led by `pid` in the run registry: it dies with the run.

    [`start_group`][proven.processes.start_group] calls it for every group it
    starts, [`kill_group`][proven.processes.kill_group] calls `untrack_group`
    once the group is dead and reaped.

    Example:
        ```python
        import subprocess
        import sys

        from proven.hygiene import is_running
        from proven.waiting import wait_for

        # A run killed outright (os._exit: no clean-up) while its sleeper runs.
        run = (
            "import os, subprocess; from proven.hygiene import track_group\n"
            "sleeper = subprocess.Popen(\n"
            "    ['sleep', '30'], stdout=subprocess.DEVNULL, start_new_session=True)\n"
            "track_group(sleeper.pid); print(sleeper.pid, flush=True); os._exit(9)"
        )
        made = subprocess.run([sys.executable, "-c", run], stdout=subprocess.PIPE, text=True)
        sleeper = int(made.stdout)
        # Its watchdog saw the run end and killed the group (init reaps the orphan).
        assert wait_for(lambda: not is_running(sleeper), timeout=10)
        ```
    """
    started = _started(pid)
    if started is not None:  # None: gone already, and reaped (an unreaped child is a zombie)
        _record(f"group {pid} {started}")


def untrack_group(pid: int) -> None:
    r"""Strike the process group led by `pid` from the run registry: it is dead and reaped.

    Example:
        ```python
        import os
        import signal
        import subprocess
        import sys

        from proven.hygiene import is_running
        from proven.waiting import wait_for

        # Struck from the registry, a group the run leaves behind is no longer the watchdog's.
        run = (
            "import subprocess; from proven.hygiene import track_group, untrack_group\n"
            "sleeper = subprocess.Popen(\n"
            "    ['sleep', '30'], stdout=subprocess.DEVNULL, start_new_session=True)\n"
            "track_group(sleeper.pid); untrack_group(sleeper.pid); print(sleeper.pid)"
        )
        made = subprocess.run([sys.executable, "-c", run], stdout=subprocess.PIPE, text=True)
        sleeper = int(made.stdout)
        assert is_running(sleeper)  # alive after its run and its watchdog ended
        os.kill(sleeper, signal.SIGKILL)
        assert wait_for(lambda: not is_running(sleeper), timeout=10)
        ```
    """
    _record(f"ended {pid}")


def _trusted(registry: Path) -> bool:
    """Whether `registry` was written by this user alone (the temporary directory is shared)."""
    try:
        info = registry.lstat()
    except OSError:
        return False
    mine = info.st_uid == os.geteuid() and not info.st_mode & 0o022
    return mine and stat.S_ISREG(info.st_mode)


def _kill_group(leader: int, started: int) -> list[int]:
    """SIGKILL the group `leader` led if it is still the run's; the pids signalled.

    The group is the run's while its leader lives with the recorded start time.
    Once the leader is gone, no other process can take its pid while the group
    has members, so members that started after it are the run's.
    """
    now = _started(leader)
    if now == started:
        members = [pid for pid in _pids() if _group(pid) == leader]
        try:
            os.killpg(leader, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return []
        return members
    if now is not None:
        return []  # the pid now names another process: not the run's
    members = [pid for pid in _pids() if _group(pid) == leader and (_started(pid) or 0) >= started]
    for pid in members:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return members


def _reap(registry: Path) -> list[str]:
    """Kill the groups a run registry still lists, delete its folders and the registry.

    One line per process killed and per folder deleted.
    """
    if not _trusted(registry):
        return []
    groups: dict[int, int] = {}
    folders: list[str] = []
    for line in _read(registry).splitlines():
        kind, _, rest = line.partition(" ")
        numbers = [int(n) for n in rest.split() if n.isdigit()]
        if kind == "group" and len(numbers) == 2:
            groups[numbers[0]] = numbers[1]
        elif kind == "ended" and numbers:
            groups.pop(numbers[0], None)
        elif kind == "dir" and rest:
            folders.append(rest)
    reaped: list[str] = []
    killed: list[int] = []
    for leader, started in groups.items():
        for pid in _kill_group(leader, started):
            reaped.append(f"process {pid}: {_command(pid)[:200]}")
            killed.append(pid)
    # Killed processes may still be writing into their folders for a moment.
    deadline = time.monotonic() + 5
    while any(map(is_running, killed)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for folder in folders:
        if os.path.lexists(folder):
            shutil.rmtree(folder, ignore_errors=True)
            reaped.append(f"directory {folder}")
    registry.unlink(missing_ok=True)
    return reaped


def reap_dead_runs() -> list[str]:
    r"""Reap what runs that died without their watchdog left: one line per process or folder.

    A run registry whose process is gone (no process with its pid and start
    time) belongs to a run that was killed together with its watchdog, say a
    whole process tree killed with SIGKILL. Its groups are killed and its
    folders deleted. The plugin calls it when a run starts; registries of
    runs still alive, or of other users, are left alone.

    Example:
        ```python
        import os
        import subprocess
        import tempfile
        from pathlib import Path

        from proven.hygiene import REGISTRY_PREFIX, reap_dead_runs

        folder = tempfile.mkdtemp(prefix="proof-example-")
        sleeper = subprocess.Popen(["sleep", "30"], start_new_session=True)
        # The registry of a run that died: its pid names no process that started then.
        started = Path(f"/proc/{sleeper.pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
        registry = Path(tempfile.gettempdir(), f"{REGISTRY_PREFIX}{2**22 + 1}-0-example")
        registry.write_text(f"group {sleeper.pid} {started}\ndir {folder}\n")
        registry.chmod(0o600)
        reaped = reap_dead_runs()
        assert f"directory {folder}" in reaped and sleeper.wait(timeout=10) == -9
        assert not os.path.exists(folder) and not registry.exists()
        ```
    """
    reaped: list[str] = []
    for registry in sorted(Path(tempfile.gettempdir()).glob(f"{REGISTRY_PREFIX}*")):
        owner, _, started = registry.name.removeprefix(REGISTRY_PREFIX).partition("-")
        started = started.partition("-")[0]
        if not (owner.isdigit() and started.isdigit()):
            continue
        if str(_started(int(owner))) == started:
            continue  # its run is alive: its own watchdog, or the run itself, cleans up
        reaped += _reap(registry)
    return reaped
