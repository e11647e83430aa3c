"""Private disks outside the app's folder: each copy of the app sees the machine, writes alone.

Two copies of an app on two hosts share nothing but their backing services. On
one machine they also share its disk: an app that keeps its data in `/tmp/data`,
`/var/lib/app` or its virtualenv would pass `copies-share-writes` and
`restart-keeps-writes` here and lose its data on a platform. On Linux the kit
therefore starts every copy in a mount namespace of its own, where `/tmp`,
`/var`, the user's home folder and the app's virtualenv are overlays: the copy
reads everything that was there when it started, and what it writes there goes
to a private layer that disappears when it exits. `/dev/shm` is a fresh,
empty tmpfs. Only the app's folder (the kit's copy of `--cwd`) is the real one.

As root the namespace needs nothing else; otherwise an unprivileged user
namespace is used where the kernel allows one. [`available`][proven.check.isolation.available]
says which one works here, once per run, or why none does.

This file is also the program that sets the namespace up and then `exec`s the
app, so that no extra process is left around it: `python isolation.py KEEP --
argv...` (it imports nothing but the standard library).
"""

from __future__ import annotations

import ctypes
import functools
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
MS_BIND, MS_REC, MS_PRIVATE = 0x1000, 0x4000, 0x40000

PRIVATE = ("/tmp", "/var", "/dev/shm")
"""Folders every copy gets a private view of, besides its user's home and its virtualenv."""

LAYERS = "/dev/shm/.proven-layers"
"""Where, inside the namespace, the private layers live (on the copy's own `/dev/shm`)."""


@dataclass(frozen=True)
class Isolation:
    """How copies of the app are kept apart on this machine, or why they cannot be.

    Example:
        ```python
        from proven.check.isolation import Isolation

        none = Isolation("", "no mount namespace here: EPERM")
        assert not none and "not caught" in none.caveat
        assert Isolation("mount namespace (root)").caveat == ""
        ```
    """

    how: str
    """`mount namespace (root)` or `user and mount namespace`; empty when there is none."""
    why_not: str = ""
    """What stopped it, when there is none."""

    def __bool__(self) -> bool:
        return bool(self.how)

    @property
    def caveat(self) -> str:
        """What a passing state check must add when there is no isolation."""
        if self:
            return ""
        return "copies share this machine's disk: state outside the folder is not caught"

    def wrap(self, argv: list[str], keep: Path, private: list[str]) -> list[str]:
        """`argv`, run in a namespace where the folders `private` are private, `keep` real."""
        if not self:
            return argv
        user = ["--user"] if "user" in self.how else []
        return [sys.executable, "-I", "-S", __file__, *user, str(keep), *private, "--", *argv]


def private_folders(start: str, path: str) -> list[str]:
    """The folders a copy gets a private view of: `PRIVATE`, the home folder, the virtualenv.

    The virtualenv is the one holding the program `start` runs (found on
    `path`), where a Flask app's instance folder and such live.

    Example:
        ```python
        import sys
        from pathlib import Path

        from proven.check.isolation import private_folders

        found = private_folders("python -m http.server", str(Path(sys.executable).parent))
        assert found[:3] == ["/tmp", "/var", "/dev/shm"]
        ```
    """
    folders = list(PRIVATE)
    home = Path.home()
    if home != Path("/") and home.is_dir():
        folders.append(str(home))
    words = shlex.split(start) if start.strip() else []
    program = shutil.which(words[0], path=path) if words else None
    if program:
        for parent in Path(program).parents:
            if (parent / "pyvenv.cfg").is_file():
                folders.append(str(parent))
                break
    unique = []
    for folder in folders:
        inside = any(folder == f or folder.startswith(f + "/") for f in unique)
        if not inside and Path(folder).is_dir() and not Path(folder).is_symlink():
            unique.append(folder)
    return unique


@functools.cache
def available() -> Isolation:
    """Which isolation works on this machine (tried once per run), or why none does.

    Example:
        ```python
        from proven.check.isolation import available

        found = available()
        assert bool(found) != bool(found.why_not)
        ```
    """
    if not sys.platform.startswith("linux"):
        return Isolation("", f"no mount namespaces on {sys.platform}")
    kinds = ["mount namespace (root)"] if os.geteuid() == 0 else []
    kinds.append("user and mount namespace")
    why = ""
    for how in kinds:
        probe = Isolation(how).wrap(["true"], Path("/tmp"), ["/tmp", "/dev/shm"])
        try:
            ran = subprocess.run(probe, capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired) as error:
            why = str(error)
            continue
        if ran.returncode == 0:
            return Isolation(how)
        why = (ran.stderr.strip().splitlines() or [f"exit {ran.returncode}"])[-1]
    return Isolation("", why)


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _call(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _mount(source: str, target: str, kind: str | None, flags: int, data: str | None) -> None:
    def encode(text: str | None) -> bytes | None:
        return None if text is None else text.encode()

    result = _libc().mount(encode(source), encode(target), encode(kind), flags, encode(data))
    _call(result, f"mount {target}")


def _enter(user: bool) -> None:
    """Enter a new mount namespace (and a user namespace mapping us to root, if `user`)."""
    uid, gid = os.geteuid(), os.getegid()
    _call(_libc().unshare(CLONE_NEWNS | (CLONE_NEWUSER if user else 0)), "unshare")
    if user:
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
        Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
    _mount("none", "/", None, MS_REC | MS_PRIVATE, None)


def isolate(keep: str, private: list[str], user: bool) -> None:
    """Make `private` private to this process and its children, keeping `keep` real."""
    cwd = os.getcwd()
    _enter(user)
    held = os.open(keep, os.O_RDONLY | os.O_DIRECTORY)  # in the new namespace, before overlays
    _mount("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777")
    for number, folder in enumerate(f for f in private if f != "/dev/shm"):
        upper, work = f"{LAYERS}/{number}/upper", f"{LAYERS}/{number}/work"
        os.makedirs(upper)
        os.makedirs(work)
        options = f"lowerdir={folder},upperdir={upper},workdir={work}"
        _mount("overlay", folder, "overlay", 0, options)
    _mount(f"/proc/self/fd/{held}", keep, None, MS_BIND | MS_REC, None)
    os.close(held)
    os.chdir(cwd)


def main(args: list[str]) -> None:
    """`[--user] KEEP PRIVATE... -- ARGV...`: isolate, then exec ARGV."""
    user = args[:1] == ["--user"]
    args = args[1:] if user else args
    split = args.index("--")
    keep, private, argv = args[0], args[1:split], args[split + 1 :]
    try:
        isolate(keep, private, user)
    except OSError as error:
        sys.exit(f"proven: cannot give this copy a private disk: {error}")
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
