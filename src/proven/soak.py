"""Soak runs: many clients, several processes, kill -9s and a backing-service restart.

A soak run starts `copies` processes of one example, lets `clients` threads
send writes through their own round-robin over those processes, and meanwhile
kills a random process with SIGKILL (and starts it again) at random points of
the run and restarts the backing service once. At the end it reads back what
the app holds and compares it with what the app acknowledged.

A [`Stateful`][proven.soak.Stateful] scenario says how one client writes and
how to read back what is stored; [`soak`][proven.soak.soak] does the rest
and returns a [`SoakReport`][proven.soak.SoakReport].

Counting rules:

- A write is *acknowledged* when it was answered 2xx.
- A refused connection (the process is down) is never applied: the client
  retries it on the next process, as a load balancer does, and it is counted
  in `refused` only.
- A write answered 5xx, or whose connection broke after it was sent (reset,
  timeout), is *in doubt*: it may or may not have been applied (a 503 can
  follow a write the backing service applied just before it went away).
- Acknowledged writes *lost* are the acknowledged writes the app no longer
  holds at the end.
- A *recovery window* lasts from the moment a fault starts (kill, service
  stop) until the process or service answers again, plus a grace period; a
  5xx answer outside every window is a real error.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

import requests
from urllib3.exceptions import NewConnectionError

from proven.cluster import RoundRobin, Verbs
from proven.processes import AppProcess


class Restartable(Protocol):
    """A backing service the soak can restart: a `RedisServer` or a `PostgresServer`.

    Example:
        ```python
        import redis

        from proven import RedisServer
        from proven.soak import Restartable

        with RedisServer(durable=True) as server:
            service: Restartable = server
            redis.Redis.from_url(server.url).set("kept", "yes")
            service.restart()  # same port, same data: what it acknowledged survives
            assert redis.Redis.from_url(server.url).get("kept") == b"yes"
        ```
    """

    def restart(self) -> object: ...


class SoakClient(Verbs[requests.Response]):
    """One client of a soak run: its own cookies, its own round-robin over the processes.

    A scenario's `write` and `read` use it to send requests; it remembers
    which of its writes were acknowledged and what the app answered to them.

    Example:
        ```python
        from proven import AppProcess, RedisServer
        from proven.soak import SoakClient

        with RedisServer() as redis_server:
            env = {"REDIS_URL": redis_server.url}
            apps = [AppProcess("stateless-processes/hit-counter/good", env=env) for _ in range(2)]
            try:
                for app in apps:
                    app.start()
                apps[1].stop()  # one process is down: its connections are refused
                client = SoakClient(0, apps)
                assert client.post("/hits").ok and client.post("/hits").ok
                assert client.get("/hits").json()["hits"] == 2
                assert client.refused >= 1  # retried on the process that is up
            finally:
                for app in apps:
                    app.close()
        ```
    """

    def __init__(self, index: int, apps: Sequence[AppProcess], timeout: float = 10.0) -> None:
        self.index = index
        """Number of this client, from 0."""
        self.balancer = RoundRobin(apps, timeout=timeout)
        self.acknowledged: dict[int, bytes] = {}
        """Write number -> body of the 2xx answer, for every acknowledged write."""
        self.in_doubt: set[int] = set()
        """Write numbers answered 5xx, or whose connection broke after the request was sent."""
        self.refused = 0

    @property
    def session(self) -> requests.Session:
        """The client's HTTP session: its cookies, whichever process answered."""
        return self.balancer.session

    def request(self, method: str, path: str, **kwargs: object) -> requests.Response:
        """Send a request to the next process; on a refused connection, to the next one.

        A refused connection means the process is down and the request was
        never received, so trying the next process is safe, as a load balancer
        does. After a full round of refusals the last error is raised.
        """
        for attempt in range(len(self.balancer.apps) * 2):
            try:
                return self.balancer.request(method, path, **kwargs)
            except requests.ConnectionError as error:
                if not _refused(error) or attempt == len(self.balancer.apps) * 2 - 1:
                    raise
                self.refused += 1
                time.sleep(0.01)
        raise AssertionError("unreachable")


def _refused(error: requests.ConnectionError) -> bool:
    reason = error.args[0] if error.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, NewConnectionError) or "Connection refused" in str(error)


Found = int | set[int]
"""What a read-back finds: a total, or the set of write numbers still held."""


@dataclass(frozen=True)
class Stateful:
    """A good example that stores state, and how a soak writes to it and reads it back.

    `write(client, n)` sends the client's write number `n` and returns the
    answer. `read(client)` returns what the app holds: the set of the
    client's write numbers it still has (exact), or a total. With
    `shared=True` the state is one total for all clients (like a hit
    counter) and `read` is called once; otherwise once per client and summed.

    Example:
        ```python
        from proven.soak import Stateful

        tasks = Stateful(
            name="purge",
            example="admin-processes/purge",
            write=lambda client, n: client.post("/tasks", json={"title": f"c{client.index}-{n}"}),
            read=lambda client: {
                int(task["title"].split("-")[1])
                for task in client.get("/tasks").json()["tasks"]
                if task["title"].startswith(f"c{client.index}-")
            },
            service="postgres",
            env=lambda url: {"DATABASE_URL": url},
            setup="migrate",
        )
        assert tasks.env("postgresql://db/app") == {"DATABASE_URL": "postgresql://db/app"}
        counter = Stateful("hits", "stateless-processes/hit-counter", tasks.write, tasks.read)
        assert counter.service == "redis"
        assert counter.env("redis://r/0") == {"REDIS_URL": "redis://r/0"}
        ```
    """

    name: str
    """The scenario, such as `hit-counter`."""
    example: str
    """The example pair without its twin, such as `stateless-processes/hit-counter`."""
    write: Callable[[SoakClient, int], requests.Response]
    read: Callable[[SoakClient], Found]
    shared: bool = False
    service: str = "redis"
    """The backing service the soak starts and restarts: `redis` (durable) or `postgres`."""
    env: Callable[[str], dict[str, str]] = field(default=lambda url: {"REDIS_URL": url})
    """The app's environment, given the backing service's URL."""
    setup: str | None = None
    """A one-off admin command of the app, such as `migrate`, that a test runs once as
    `flask --app app.py <setup>` against the fresh service before starting the processes."""


@dataclass
class Window:
    """A span of time during which a fault is being recovered from.

    `start` and `end` are `time.monotonic()` readings; `end` stays infinite
    while the fault lasts.

    Example:
        ```python
        import time

        from proven.soak import Window

        window = Window("kill -9 of port 8000", start=time.monotonic())
        assert window.end == float("inf")  # not recovered yet
        window.end = window.start + 0.5
        assert window.end - window.start == 0.5
        ```
    """

    what: str
    start: float
    end: float = float("inf")


@dataclass
class SoakReport:
    """What a soak run sent, what the app acknowledged, and what it still holds.

    Example:
        ```python
        from proven.soak import SoakReport

        report = SoakReport(
            example="stateless-processes/cart/good",
            requests=1000,
            acknowledged=990,
            in_doubt=4,
            found=990,
            kills=3,
            service_restarts=1,
            seconds=6.2,
        )
        assert report.lost == 0 and report.errors_5xx_outside_recovery == 0
        assert report.summary().startswith(
            "stateless-processes/cart/good: 0 of 990 acknowledged writes lost"
        )
        ```
    """

    example: str
    requests: int = 0
    """Writes sent (each counted once, whatever the retries on refused connections)."""
    acknowledged: int = 0
    in_doubt: int = 0
    refused: int = 0
    """Connections refused by a process that was down (retried on the next one)."""
    found: int = 0
    """Writes the app holds at the end: its total, or the acknowledged writes it still has."""
    lost: int = 0
    """Acknowledged writes the app no longer holds."""
    extra: int = 0
    """Writes held beyond the acknowledged and in-doubt ones: applied twice, or invented."""
    errors_5xx: int = 0
    errors_5xx_outside_recovery: int = 0
    kills: int = 0
    service_restarts: int = 0
    seconds: float = 0.0
    windows: list[Window] = field(default_factory=list)

    def summary(self) -> str:
        """One line for a log or a page: lost writes first."""
        return (
            f"{self.example}: {self.lost:,} of {self.acknowledged:,} acknowledged writes lost "
            f"({self.requests:,} sent by the clients, {self.in_doubt} in doubt, "
            f"{self.refused} refused connections retried, {self.errors_5xx} answered 5xx, "
            f"{self.errors_5xx_outside_recovery} of them outside a recovery window; "
            f"{self.kills} kill -9, {self.service_restarts} service restart, "
            f"{self.seconds:.1f} s)"
        )


@dataclass
class _Call:
    start: float
    end: float
    status: int | None


class _Progress:
    def __init__(self, budget: int, seconds: float) -> None:
        self.budget = budget
        self.seconds = seconds
        self.started = time.monotonic()
        self._sent = 0
        self._lock = threading.Lock()

    def take(self) -> int | None:
        """The next write number, or None when the request or time budget is spent."""
        with self._lock:
            if self._sent >= self.budget or self.elapsed() >= self.seconds:
                return None
            self._sent += 1
            return self._sent - 1

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def fraction(self) -> float:
        return max(self._sent / self.budget, self.elapsed() / self.seconds)


def soak(
    scenario: Stateful,
    apps: Sequence[AppProcess],
    service: Restartable | None = None,
    clients: int = 8,
    requests_budget: int = 3000,
    seconds: float = 60.0,
    kills: int = 3,
    seed: int | None = None,
    grace: float = 2.0,
) -> SoakReport:
    """Run `clients` writers over `apps` while processes are killed and the service restarts.

    The run stops after `requests_budget` writes or `seconds`, whichever comes
    first. `kills` kill -9s hit random processes at random points of the run
    (each process is started again at once, on the same port); the service,
    if given, is restarted once, half-way. Every fault has finished, and
    every process answers again, before the app is read back.

    Example:
        ```python
        from proven import AppProcess, RedisServer
        from proven.soak import Stateful, soak

        counter = Stateful(
            name="hit-counter",
            example="stateless-processes/hit-counter",
            write=lambda client, n: client.post("/hits"),
            read=lambda client: client.get("/hits").json()["hits"],
            shared=True,
        )
        with RedisServer(durable=True) as redis_server:
            env = counter.env(redis_server.url)
            apps = [AppProcess(f"{counter.example}/good", env=env) for _ in range(2)]
            try:
                for app in apps:
                    app.start()
                report = soak(counter, apps, redis_server, clients=2, requests_budget=60, kills=1)
            finally:
                for app in apps:
                    app.close()
        assert report.lost == 0 and report.acknowledged > 0
        ```
    """
    rng = random.Random(seed)
    progress = _Progress(requests_budget, seconds)
    report = SoakReport(example=str(apps[0].example.relative_to(apps[0].example.parents[2])))
    calls: list[_Call] = []
    calls_lock = threading.Lock()
    writers = [SoakClient(i, apps) for i in range(clients)]

    def write_until_done(client: SoakClient) -> None:
        while (n := progress.take()) is not None:
            start = time.monotonic()
            status: int | None = None
            try:
                response = scenario.write(client, n)
                status = response.status_code
                if response.ok:
                    client.acknowledged[n] = response.content
                elif status >= 500:
                    client.in_doubt.add(n)
            except requests.RequestException as error:
                # Broken connection, reset, timeout, truncated answer: in doubt, unless refused.
                if not (isinstance(error, requests.ConnectionError) and _refused(error)):
                    client.in_doubt.add(n)
            with calls_lock:
                calls.append(_Call(start, time.monotonic(), status))

    faults = _plan_faults(rng, kills, service is not None)
    stop_faults = threading.Event()

    def inject_faults() -> None:
        for point, what in faults:
            while progress.fraction() < point:
                if stop_faults.wait(0.02):
                    return
            if what == "service":
                window = Window("service restart", time.monotonic())
                report.windows.append(window)
                service.restart()  # type: ignore[union-attr]
                window.end = time.monotonic()
                report.service_restarts += 1
            else:
                victim = rng.choice(list(apps))
                window = Window(f"kill -9 of port {victim.port}", time.monotonic())
                report.windows.append(window)
                victim.crash_and_restart()
                window.end = time.monotonic()
                report.kills += 1

    injector = threading.Thread(target=inject_faults, daemon=True)
    with ThreadPoolExecutor(max_workers=clients) as pool:
        injector.start()
        list(pool.map(write_until_done, writers))
        stop_faults.set()
        injector.join()
    report.seconds = progress.elapsed()

    report.requests = len(calls)
    report.refused = sum(c.refused for c in writers)
    report.acknowledged = sum(len(c.acknowledged) for c in writers)
    report.in_doubt = sum(len(c.in_doubt) for c in writers)
    report.errors_5xx = sum(1 for c in calls if c.status is not None and c.status >= 500)
    report.errors_5xx_outside_recovery = sum(
        1
        for c in calls
        if c.status is not None
        and c.status >= 500
        and not any(c.end >= w.start and c.start <= w.end + grace for w in report.windows)
    )
    _read_back(scenario, writers, report)
    return report


def _plan_faults(rng: random.Random, kills: int, service: bool) -> list[tuple[float, str]]:
    faults = [(rng.uniform(0.1, 0.85), "kill") for _ in range(kills)]
    if service:
        faults.append((rng.uniform(0.4, 0.6), "service"))
    return sorted(faults)


def _read_back(scenario: Stateful, writers: Sequence[SoakClient], report: SoakReport) -> None:
    if scenario.shared:
        found: Iterable[Found] = [scenario.read(writers[0])]
    else:
        with ThreadPoolExecutor(max_workers=len(writers)) as pool:
            found = list(pool.map(scenario.read, writers))
    found = list(found)
    if all(isinstance(f, set) for f in found):
        for client, held in zip(writers, found, strict=True):
            assert isinstance(held, set)
            acknowledged = set(client.acknowledged)
            report.lost += len(acknowledged - held)
            report.extra += len(held - acknowledged - client.in_doubt)
            report.found += len(held & acknowledged)
        return
    total = sum(len(f) if isinstance(f, set) else f for f in found)
    report.found = total
    report.lost = max(0, report.acknowledged - total)
    report.extra = max(0, total - report.acknowledged - report.in_doubt)
