"""The pytest plugin: fixtures every proof can use, and the rules every proof follows.

It is opt-in: the package declares no `pytest11` entry point, so installing
it (to run `proven check`, say) changes nothing of another project's pytest.
A project turns it on with `-p proven.plugin` (this repository does, in the
`addopts` of its `pyproject.toml`), and then gets backing services and example
apps as real processes, the `observe` fixture, the `claim`, `lock` and
`alone` marks, the settings of a parallel run and the leftover check. A
server the machine lacks ([`ServerNotFound`][proven.services.ServerNotFound])
skips the test that needs it, with how to install it; `REQUIRE_SERVICES=1`
makes that a failure.

A run proves the checkout it runs in (see `proven.paths`), and an interrupted
run leaves nothing behind: SIGTERM ends it as Ctrl-C does, a run killed
outright is cleaned up by its watchdog, and a run that starts reaps what dead
runs left (see `proven.hygiene`).

Set `REDIS_URL` or `DATABASE_URL` to run the proofs against servers you
already run (the proofs flush that Redis database and reset that database's
`public` schema); otherwise each test session starts throwaway servers.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from proven import hygiene, paths
from proven.claims import collect_claims
from proven.cluster import RoundRobin
from proven.observations import (
    UPDATE_OPTION,
    Observation,
    check_text,
    fingerprint,
    load_observations,
    save_observations,
)
from proven.processes import SWAP_SERVICE_VARIABLES, SWAP_TWINS, AppProcess, close_all
from proven.services import (
    REQUIRE_SERVICES,
    SERVERS,
    PostgresServer,
    RedisServer,
    ServiceError,
    describe_servers,
)
from proven.site.timelines import write_picture
from proven.timeline import Timeline
from proven.venvs import make_venv, read_requirements


def _session_service(
    variable: str, server: Callable[[], RedisServer | PostgresServer]
) -> Iterator[str]:
    """The URL in `variable` if it is set, else the URL of a throwaway server run meanwhile."""
    if os.environ.get(variable):
        yield os.environ[variable]
        return
    with server() as running:
        yield running.url


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    """URL of the session's Redis: `REDIS_URL` if set, else a throwaway server."""
    yield from _session_service("REDIS_URL", RedisServer)


@pytest.fixture
def redis_url(redis_server_url: str) -> str:
    """URL of an empty Redis database for one proof."""
    with redis.Redis.from_url(redis_server_url) as client:
        client.flushdb()
    return redis_server_url


@pytest.fixture(scope="session", autouse=True)
def swap_check_services(request: pytest.FixtureRequest) -> None:
    """Under the swap check, every app gets this process's `REDIS_URL` and `DATABASE_URL`.

    A good twin started in the bad twin's place then finds its backing services
    (see `proven.processes.SWAP_SERVICE_VARIABLES`). Each worker of a parallel
    run has its own servers, so that one worker's proofs never flush another's.
    """
    if os.environ.get(SWAP_TWINS) != "1":
        return
    AppProcess.inherited = SWAP_SERVICE_VARIABLES
    for variable, fixture in (
        ("REDIS_URL", "redis_server_url"),
        ("DATABASE_URL", "postgres_server_url"),
    ):
        if not os.environ.get(variable):
            try:
                os.environ[variable] = request.getfixturevalue(fixture)
            except ServiceError:
                pass  # no binary: the proofs that need it skip (or fail under REQUIRE_SERVICES)


@pytest.fixture
def redis_servers() -> Iterator[Callable[..., RedisServer]]:
    """Start extra throwaway Redis servers; each is stopped after the proof.

    Keyword arguments go to [`RedisServer`][proven.services.RedisServer]:
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
    yield from _session_service("DATABASE_URL", PostgresServer)


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

    Takes the arguments of [`AppProcess`][proven.processes.AppProcess]:
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
    """Start `count` copies of an example behind a [`RoundRobin`][proven.cluster.RoundRobin].

    `start_copies("stateless-processes/cart/bad")` is two copies with no
    sticky sessions; keyword arguments go to every copy's `AppProcess`.
    """

    def start(example: Path | str, count: int = 2, **kwargs: object) -> RoundRobin:
        return RoundRobin([start_app(example, **kwargs) for _ in range(count)])

    return start


@pytest.fixture(scope="session")
def isolated_python(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Build a fresh virtual environment from a requirements file; returns its `python`.

    See [`make_venv`][proven.venvs.make_venv]: only what the file declares is
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


@pytest.fixture(scope="session")
def run_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of this test run that every worker of `-n auto` shares (else the session's).

    For work done once per run by whichever worker asks first, under a file lock:
    the site build of `tests/site/` is one (`proven.site.build.build_site_once`).
    """
    base = tmp_path_factory.getbasetemp()
    return base.parent if _is_worker(request.config) else base


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which checkout the proofs run, and which Redis and PostgreSQL they use."""
    source = os.environ.get(SERVERS) or "auto: the system's first, else a PyPI wheel's"
    chosen = f"from {paths.ROOT_VARIABLE}" if os.environ.get(paths.ROOT_VARIABLE) else "this run's"
    return [
        f"checkout under test ({chosen}): {paths.ROOT}",
        f"servers ({SERVERS}={source}):",
        *(f"  {line}" for line in describe_servers()),
    ]


def pytest_addoption(parser: pytest.Parser) -> None:
    """The option that stores what the proofs observed (`--update-observations`)."""
    parser.getgroup("observations", "what the proofs observed (tests/<page>/observations.json)")
    parser.addoption(
        UPDATE_OPTION,
        action="store_true",
        help="store what each passing proof observed, for claims whose stored observation is "
        "missing or stale (its proof, examples or the harness changed)",
    )
    parser.addini(
        WORKERS_PER_CORE,
        "under -n auto, how many test workers to start for each core (default 1)",
        default="1",
    )


WORKERS_PER_CORE = "proven_workers_per_core"


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: `proven_workers_per_core` workers for each core this process may use.

    Tried first: loaded with `-p`, the plugin is registered before xdist, whose
    own answer (one worker a core) would otherwise come first and be the one taken.

    A proof spends much of its time waiting on the processes it runs (for an
    answer, an exit, a time-out), so more workers than cores keep the cores busy.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, round((cores or 1) * float(config.getini(WORKERS_PER_CORE))))


def pytest_configure(config: pytest.Config) -> None:
    """Register the marks a proof uses; prove this checkout; let SIGTERM end the run as Ctrl-C.

    - The marks: `claim`, `lock(name)` and `alone`.
    - A run whose rootdir is a checkout of the project proves that checkout: one
      virtualenv may serve several (a worktree, a second clone), and the package
      takes its root from the working directory (`proven.paths.ROOT`). A run
      started from outside its checkout would prove another one: it stops with
      a usage error instead, unless `PROVEN_ROOT` names the root on purpose.
    - SIGTERM (a CI time-out, a cancelled job) raises `KeyboardInterrupt`, in the
      controller and in every xdist worker, so every fixture is torn down
      ([`Signals`][proven.hygiene.Signals]).
    """
    checkout = paths.find_root(config.rootpath)
    overridden = os.environ.get(paths.ROOT_VARIABLE)
    if checkout is not None and checkout != paths.ROOT and not overridden:
        raise pytest.UsageError(
            f"this run's rootdir is the checkout {checkout}, but the proofs would run the "
            f"examples of {paths.ROOT} (the checkout of the working directory {Path.cwd()}): "
            f"run pytest from inside {checkout}, or set {paths.ROOT_VARIABLE}"
        )
    interrupt = ExitStack()
    interrupt.enter_context(hygiene.Signals(signal.SIGTERM))
    config.add_cleanup(interrupt.close)
    for line in (
        "claim(id, text): the claim a proof proves; shown on the page named by the test's folder",
        "lock(name): under -n auto, no two tests marked with the same name run at the same "
        "time (a fixed port)",
        "alone: under -n auto, runs while no other test runs (a proof that compares the "
        "timings of two runs)",
    ):
        config.addinivalue_line("markers", line)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Settings of a parallel run (`-n auto`, pytest-xdist), before xdist reads them.

    - Tests go to whichever worker is free (`--dist worksteal`, unless another
      `--dist` is given): the proofs' times range from a second to a minute.
    - With `REDIS_URL` or `DATABASE_URL` set, the proofs run one at a time: every
      proof empties that one database first, and two workers would empty it under
      each other's feet. The throwaway servers (no URL set) are one set per worker.
    """
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    if config.option.dist == "no":
        config.option.dist = "worksteal"
    shared = [v for v in ("REDIS_URL", "DATABASE_URL") if os.environ.get(v)]
    if shared:
        config.option.numprocesses = 0
        print(f"proofs: {' and '.join(shared)} set: one server for every proof, so no -n")


# --- Resource hygiene: nothing of the suite outlives it ------------------------------------


@dataclass
class Leftover:
    """A resource the suite left behind: counted as "N leftover" on pytest's summary line."""

    what: str


def _is_worker(config: pytest.Config) -> bool:
    """Whether this process is a pytest-xdist worker (`-n auto`), not the run that reports."""
    return hasattr(config, "workerinput")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Reap what runs killed outright left behind, and say so (not in xdist workers).

    See [`reap_dead_runs`][proven.hygiene.reap_dead_runs]: a run whose process
    and watchdog were both killed leaves its servers, apps and folders.
    """
    if _is_worker(session.config):
        return
    reaped = hygiene.reap_dead_runs()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reaped and reporter is not None:
        reporter.write_line(f"reaped what runs killed earlier left behind ({len(reaped)}):")
        for line in reaped:
            reporter.write_line(f"  {line}")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Store observations when asked; fail the run when a resource of the suite remains.

    Under `-n auto` each worker checks what its own proofs left and hands the list to
    the controller (`workeroutput`), which reports every worker's leftovers and stores
    the observations of every worker's proofs, once. It runs last, after pytest has
    torn down the fixtures of an interrupted run; each process then ends its watchdog
    ([`end_watch`][proven.hygiene.end_watch]), which finds nothing left to reap.
    """
    _finish(session)
    hygiene.end_watch()


def _finish(session: pytest.Session) -> None:
    """The work of `pytest_sessionfinish`: observations, and the leftover check."""
    config = session.config
    if _is_worker(config):
        leftovers = hygiene.wait_until_clean(hygiene.SUITE_DIRS)
        config.workeroutput["leftovers"] = leftovers
        if leftovers:
            hygiene.remove_leftovers(hygiene.SUITE_DIRS)
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if config.getoption(UPDATE_OPTION) and os.environ.get(SWAP_TWINS) != "1":
        written = _store_observations(config)
        if reporter is not None:
            reporter.write_sep("-", f"observations stored for {len(written)} claims")
            for claim_id in written:
                reporter.write_line(f"  {claim_id}")
    # The controller of a parallel run starts nothing but its workers (still alive here).
    parallel = config.pluginmanager.hasplugin("dsession")
    leftovers = _workers_leftovers + (
        [] if parallel else hygiene.wait_until_clean(hygiene.SUITE_DIRS)
    )
    if not leftovers:
        return
    if reporter is not None:
        reporter.write_sep("=", "resources the suite left behind", red=True)
        for line in leftovers:
            reporter.write_line(line)
        reporter.stats.setdefault("leftover", []).extend(Leftover(line) for line in leftovers)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
    hygiene.remove_leftovers(hygiene.SUITE_DIRS)


_workers_leftovers: list[str] = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """Controller of `-n auto`: keep what a finished worker reported as left behind."""
    output = getattr(node, "workeroutput", None) or {}
    worker = getattr(getattr(node, "gateway", None), "id", "a worker")
    _workers_leftovers.extend(f"[{worker}] {line}" for line in output.get("leftovers", []))


# --- Parallel runs: proofs that compare timings run alone; fixed ports one at a time -------


@contextmanager
def _flock(path: Path, mode: int) -> Iterator[None]:
    import fcntl  # Linux and macOS; only imported under -n auto

    with open(path, "a") as handle:
        fcntl.flock(handle, mode)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _run_locks(folder: Path, alone: bool, names: list[str]) -> Iterator[None]:
    """Locks shared by the workers of one run (flock on files of the run's temporary folder).

    Every test holds the run lock shared; a test marked `alone` holds it
    exclusively, so it starts once the tests running on other workers have
    finished, and no test starts until it is done (a turnstile gives it
    precedence over tests not started yet). A test marked `lock(name)` also
    holds that name's lock: two tests that bind one fixed port never overlap.
    """
    import fcntl

    with ExitStack() as held:
        if alone:
            held.enter_context(_flock(folder / "turnstile.lock", fcntl.LOCK_EX))
            held.enter_context(_flock(folder / "run.lock", fcntl.LOCK_EX))
        else:
            with _flock(folder / "turnstile.lock", fcntl.LOCK_EX):
                held.enter_context(_flock(folder / "run.lock", fcntl.LOCK_SH))
        for name in sorted(set(names)):
            held.enter_context(_flock(folder / f"lock-{name}.lock", fcntl.LOCK_EX))
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    """Under `-n auto`, honour the `alone` and `lock(name)` marks (see `_run_locks`)."""
    if not _is_worker(item.config):
        return (yield)
    # Each worker's basetemp is a folder of the controller's: one set of locks per run.
    folder = Path(item.config.option.basetemp).parent
    alone = item.get_closest_marker("alone") is not None
    names = [str(mark.args[0]) for mark in item.iter_markers("lock")]
    with _run_locks(folder, alone, names):
        return (yield)


# --- Observations: what each proof saw, shown in its claim box ------------------------------

OBSERVED = pytest.StashKey[tuple[str, str, dict[str, Any] | None]]()
_passed: dict[str, tuple[str, str, dict[str, Any] | None]] = {}


@pytest.fixture
def observe(request: pytest.FixtureRequest) -> Callable[..., None]:
    """Record what this proof observed for each twin, in the reader's terms, with numbers.

    `observe(bad="kept 0 of 37 hits acknowledged before the kill",
    good="kept 41 of 41")` — call it once the numbers are measured, before
    the assertions. Every proof must call it; `pytest --update-observations`
    stores the record of each passing proof for its claim box. A proof whose
    lesson happens in time also passes `timeline=`, a
    [`Timeline`][proven.timeline.Timeline] of what it saw: it is stored in the
    same record, and the claim box draws it.
    """
    if request.node.get_closest_marker("claim") is None:
        raise pytest.UsageError(f"{request.node.nodeid}: only a proof (a claim) can observe")

    def record(*, bad: str, good: str, timeline: Timeline | None = None) -> None:
        if os.environ.get(SWAP_TWINS) == "1":
            # Swapped, the twins' observations are not stored: let the assertions decide.
            request.node.stash[OBSERVED] = (str(bad), str(good), None)
            return
        drawn = timeline.record() if timeline is not None else None
        request.node.stash[OBSERVED] = (check_text("bad", bad), check_text("good", good), drawn)

    return record


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    """Skip a test whose server is missing; fail a proof that passed without an observation.

    A [`ServiceError`][proven.services.ServiceError] (no binary for a server, or
    a server that cannot run here) is a skip whose reason says what to install,
    unless `REQUIRE_SERVICES=1`: then it stays the failure it is. The others'
    observations are kept on their reports.
    """
    report: pytest.TestReport = yield
    if (
        call.excinfo is not None
        and call.excinfo.errisinstance(ServiceError)
        and os.environ.get(REQUIRE_SERVICES) != "1"
    ):
        report.outcome = "skipped"
        path, line, _ = item.location
        report.longrepr = (path, (line or 0) + 1, f"Skipped: {call.excinfo.value}")
        return report
    marker = item.get_closest_marker("claim")
    if report.when != "call" or not report.passed or marker is None:
        return report
    observed = item.stash.get(OBSERVED, None)
    if observed is None and os.environ.get(SWAP_TWINS) != "1":
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid}: the proof passed but recorded no observation; call "
            f"observe(bad=..., good=...) with what it measured for each twin"
        )
    elif observed is not None:
        # On the report, so that it reaches the controller of a parallel run (-n auto).
        report.observation = [marker.kwargs["id"], *observed]
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Keep the observation of a passing proof, from this process or from a worker."""
    observed = getattr(report, "observation", None)
    if report.when == "call" and report.passed and observed:
        claim_id, bad, good, timeline = observed
        _passed[claim_id] = (bad, good, timeline)


def _store_observations(config: pytest.Config) -> list[str]:
    """Store the observations of passing proofs whose stored record is missing or stale.

    A record with a timeline also gets its picture drawn, `docs/assets/timelines/<id>.svg`.
    """
    today = date.today().isoformat()
    written: list[str] = []
    claims = {found.id: found for found in collect_claims()}
    for page in sorted({claims[claim_id].page for claim_id in _passed if claim_id in claims}):
        stored = load_observations(page)
        changed = False
        for claim_id in [c for c in stored if c not in claims or claims[c].page != page]:
            del stored[claim_id]
            changed = True
        for claim_id, (bad, good, timeline) in _passed.items():
            found = claims.get(claim_id)
            if found is None or found.page != page:
                continue
            current = fingerprint(found)
            if claim_id in stored and stored[claim_id].fingerprint == current:
                continue
            stored[claim_id] = Observation(bad, good, today, current, timeline)
            if timeline:
                write_picture(claim_id, stored[claim_id])
            written.append(claim_id)
            changed = True
        if changed:
            save_observations(page, stored)
    return written
