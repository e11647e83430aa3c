"""Fixtures every proof can use: backing services and example apps as real processes.

Set `REDIS_URL` or `DATABASE_URL` to run the proofs against servers you
already run (the proofs flush that Redis database and reset that database's
`public` schema); otherwise each test session starts throwaway servers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis

from harness import AppProcess, PostgresServer, RedisServer, RoundRobin, hygiene
from harness.processes import close_all
from harness.venvs import make_venv, read_requirements


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    """URL of the session's Redis: `REDIS_URL` if set, else a throwaway server."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    with RedisServer() as server:
        yield server.url


@pytest.fixture
def redis_url(redis_server_url: str) -> str:
    """URL of an empty Redis database for one proof."""
    with redis.Redis.from_url(redis_server_url) as client:
        client.flushdb()
    return redis_server_url


@pytest.fixture
def redis_servers() -> Iterator[Callable[..., RedisServer]]:
    """Start extra throwaway Redis servers; each is stopped after the proof.

    Keyword arguments go to [`RedisServer`][harness.services.RedisServer]:
    `redis_servers(username="app", password=secret)` is a server that only
    lets that user in, `redis_servers(load_from=path)` one restored from a dump.
    """
    started: list[RedisServer] = []

    def start(durable: bool = False, **options: object) -> RedisServer:
        server = RedisServer(durable=durable, **options)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.close()


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """URL of the session's PostgreSQL: `DATABASE_URL` if set, else a throwaway cluster."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    with PostgresServer() as server:
        yield server.url


@pytest.fixture
def database_url(postgres_server_url: str) -> str:
    """URL of a PostgreSQL database with an empty `public` schema for one proof."""
    with psycopg.connect(postgres_server_url, autocommit=True) as db:
        db.execute("drop schema if exists public cascade")
        db.execute("create schema public")
    return postgres_server_url


@pytest.fixture
def start_app() -> Iterator[Callable[..., AppProcess]]:
    """Start example apps as real processes; every one is stopped after the proof.

    Takes the arguments of [`AppProcess`][harness.processes.AppProcess]:
    `start_app("stateless-processes/hit-counter/good", env={"REDIS_URL": url})`.
    """
    started: list[AppProcess] = []

    def start(example: Path | str, **kwargs: object) -> AppProcess:
        app = AppProcess(example, **kwargs)
        started.append(app)
        return app.start()

    yield start
    close_all(started)


@pytest.fixture
def start_copies(start_app: Callable[..., AppProcess]) -> Callable[..., RoundRobin]:
    """Start `count` copies of an example behind a [`RoundRobin`][harness.cluster.RoundRobin].

    `start_copies("stateless-processes/cart/bad")` is two copies with no
    sticky sessions; keyword arguments go to every copy's `AppProcess`.
    """

    def start(example: Path | str, count: int = 2, **kwargs: object) -> RoundRobin:
        return RoundRobin([start_app(example, **kwargs) for _ in range(count)])

    return start


@pytest.fixture(scope="session")
def isolated_python(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Build a fresh virtual environment from a requirements file; returns its `python`.

    See [`make_venv`][harness.venvs.make_venv]: only what the file declares is
    installed. Files that declare the same pins share one environment per test
    session, built in about a second from the wheel cache. `find_links` adds
    folders of extra wheels.
    """
    built: dict[tuple[frozenset[str], tuple[Path, ...]], Path] = {}

    def build(requirements: Path, find_links: tuple[Path, ...] = ()) -> Path:
        key = (frozenset(read_requirements(Path(requirements))), tuple(find_links))
        if key not in built:
            folder = tmp_path_factory.mktemp("venv")
            built[key] = make_venv(folder / "env", Path(requirements), find_links=find_links)
        return built[key]

    return build


# --- Soak runs: budget options (see tests/soak/) -------------------------------------------

SOAK_DEFAULTS = {"local": (4000, 60.0), "ci": (1000, 6.0)}
"""(writes, seconds) per soak run: a few thousand locally, a short budget when `CI` is set."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options of the soak runs in tests/soak/ (the proofs themselves take none)."""
    group = parser.getgroup("soak", "soak runs of the good examples (tests/soak/)")
    group.addoption(
        "--soak-requests",
        type=int,
        default=None,
        help="writes per soak run (default 4000; 1000 when the CI variable is set)",
    )
    group.addoption(
        "--soak-seconds",
        type=float,
        default=None,
        help="time cap per soak run, whichever comes first (default 60; 6 under CI)",
    )
    group.addoption("--soak-clients", type=int, default=8, help="concurrent clients (default 8)")
    group.addoption("--soak-seed", type=int, default=None, help="seed of the fault schedule")


# --- Resource hygiene: nothing of the suite outlives it ------------------------------------


@dataclass
class Leftover:
    """A resource the suite left behind: counted as "N leftover" on pytest's summary line."""

    what: str


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a process, directory or listening port of the suite remains."""
    leftovers = hygiene.wait_until_clean(hygiene.SUITE_DIRS)
    if not leftovers:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", "resources the suite left behind", red=True)
        for line in leftovers:
            reporter.write_line(line)
        reporter.stats.setdefault("leftover", []).extend(Leftover(line) for line in leftovers)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
    hygiene.remove_leftovers(hygiene.SUITE_DIRS)
