"""Soak runs: many clients, several processes, kill -9s and a backing-service restart.

A soak run starts `copies` processes of one example, lets `clients` threads
send writes through their own round-robin over those processes, and meanwhile
kills a random process with SIGKILL (and starts it again) at random points of
the run and restarts the backing service once. At the end it reads back what
the app holds and compares it with what the app acknowledged.

A [`Stateful`][proven.soak.Stateful] scenario says how one client writes and
how to read back what is stored; [`soak`][proven.soak.soak] does the rest
and returns a [`SoakReport`][proven.soak.SoakReport]. Each pair declares its
soak in the `[soak]` table of its `scenario.toml`, which
[`Stateful.from_scenario`][proven.soak.Stateful.from_scenario] reads:

```toml
[soak]                          # examples/admin-processes/purge/scenario.toml
write = "POST /tasks"           # write n of client c stores the value "c{c}-{n}"
json = { title = "{value}" }
read = "GET /tasks"
list = "tasks"                  # the answer's JSON list of tasks ...
item = "title"                  # ... each with the value written at "title"
```

A pair that is not soaked says why instead: `skip = "why"`.

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

import json
import random
import re
import string
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
from urllib3.exceptions import NewConnectionError

from proven.cluster import RoundRobin, Verbs
from proven.processes import AppProcess
from proven.scenarios import FILE_NAME, Scenario, ScenarioError


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
    A pair's `[soak]` table declares all of it: see
    [`from_scenario`][proven.soak.Stateful.from_scenario].

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

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Stateful:
        """The soak of a pair, from the `[soak]` table of its `scenario.toml`.

        Write `n` of client `c` stores the value `c{c}-{n}`. The table says:

        - `write`: the request that makes a write, `"METHOD /path"`; with
          `json` (a table: its body) or `data` (a string: its body). In any
          of them `{client}`, `{n}` and `{value}` are filled in, and a JSON
          value that is exactly `"{n}"` becomes the number itself.
        - `read`: the request that reads back, `"METHOD /path"`, and how its
          answer is read: `total = "key"`, one total of every client's writes
          at that JSON key; or `list = "key"`, a JSON list at that key that
          holds the values written (`item = "key"` when each entry is an
          object with the value at that key); or neither: the path names one
          write (`{n}`, `{value}`, or `{answer[key]}`, a key of the write's
          JSON answer) and a 2xx answer means that write is held.

        - `bad_loses = true`: the bad twin keeps its state in the process, so
          its soak must lose acknowledged writes (tests/soak asserts it).

        The backing service is the one `[env]` names, `{redis_url}` or
        `{database_url}`. A table with `skip = "why"` is no soak.

        Example:
            ```python
            import pytest

            from proven.scenarios import ScenarioError, load_scenario
            from proven.soak import Stateful

            cart = Stateful.from_scenario(load_scenario("stateless-processes/cart"))
            assert (cart.name, cart.service, cart.shared) == ("cart", "redis", False)
            assert cart.env("redis://r/0") == {"REDIS_URL": "redis://r/0"}
            purge = Stateful.from_scenario(load_scenario("admin-processes/purge"))
            assert purge.service == "postgres"
            with pytest.raises(ScenarioError, match="not soaked: a cache"):
                Stateful.from_scenario(load_scenario("dev-prod-parity/cache"))
            ```
        """
        table = dict(scenario.soak)
        where = f"examples/{scenario.name}/{FILE_NAME} [soak]"
        if "skip" in table:
            raise ScenarioError(f"{where} says the pair is not soaked: {table['skip']}")
        unknown = sorted(set(table) - SOAK_KEYS)
        if unknown:
            raise ScenarioError(f"{where}: unknown keys {unknown}; known: {sorted(SOAK_KEYS)}")
        services = [SERVICES[name] for name in sorted(scenario.placeholders() & set(SERVICES))]
        if len(services) != 1:
            raise ScenarioError(
                f"{where}: a soak restarts one backing service; [env] must name exactly one of "
                + ", ".join(f"{{{name}}}" for name in SERVICES)
            )
        placeholder = next(name for name, service in SERVICES.items() if service == services[0])
        if "total" in table and "list" in table:
            raise ScenarioError(f"{where}: say `total` or `list`, not both")
        write, read = _request(table, "write", where), _request(table, "read", where)
        return cls(
            name=scenario.folder.name,
            example=scenario.name,
            write=_writer(write, table, where),
            read=_reader(read, table, where),
            shared="total" in table,
            service=services[0],
            env=lambda url: scenario.environment({placeholder: url}),
        )


SOAK_KEYS = frozenset({"write", "json", "data", "read", "total", "list", "item", "bad_loses"})
"""The keys of a `[soak]` table that describes a soak (else it has `skip` alone)."""

SERVICES = {"redis_url": "redis", "database_url": "postgres"}
"""`[env]` placeholder -> the backing service a soak starts and restarts."""

_WRITE_FIELDS = frozenset({"client", "n", "value"})


def _fields(client: SoakClient, n: int | None = None, answer: object = None) -> dict[str, object]:
    return {"client": client.index, "n": n, "value": f"c{client.index}-{n}", "answer": answer}


def _check_template(template: str, allowed: frozenset[str], where: str) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as error:
        raise ScenarioError(f"{where}: {template!r}: {error}") from error
    unknown = sorted({re.split(r"[.\[]", name)[0] for name in names} - allowed)
    if unknown:
        raise ScenarioError(f"{where}: {template!r} names {unknown}; it may name {sorted(allowed)}")


def _request(table: dict[str, Any], key: str, where: str) -> tuple[str, str]:
    request = table.get(key)
    if not isinstance(request, str) or not re.fullmatch(r"[A-Z]+ /\S*", request):
        raise ScenarioError(f'{where}: `{key}` must be a request such as "POST /notes"')
    method, path = request.split(" ", 1)
    return method, path


def _writer(
    request: tuple[str, str], table: dict[str, Any], where: str
) -> Callable[[SoakClient, int], requests.Response]:
    method, path = request
    body = table.get("json")
    data = table.get("data")
    if body is not None and not isinstance(body, dict):
        raise ScenarioError(f"{where}: `json` must be a table, the write's JSON body")
    if data is not None and (body is not None or not isinstance(data, str)):
        raise ScenarioError(f"{where}: `data` must be a string, and `json` absent")
    for template in (path, data or "", *(v for v in (body or {}).values() if isinstance(v, str))):
        _check_template(template, _WRITE_FIELDS, f"{where} write")

    def fill(value: object, fields: dict[str, object]) -> object:
        if value == "{n}":
            return fields["n"]
        return value.format(**fields) if isinstance(value, str) else value

    def write(client: SoakClient, n: int) -> requests.Response:
        fields = _fields(client, n)
        kwargs: dict[str, object] = {}
        if body is not None:
            kwargs["json"] = {key: fill(value, fields) for key, value in body.items()}
        if data is not None:
            kwargs["data"] = data.format(**fields).encode()
        return client.request(method, path.format(**fields), **kwargs)

    return write


def _reader(
    request: tuple[str, str], table: dict[str, Any], where: str
) -> Callable[[SoakClient], Found]:
    method, path = request
    if "item" in table and "list" not in table:
        raise ScenarioError(f"{where}: `item` reads the entries of a `list`; add `list`")
    if "total" in table or "list" in table:
        _check_template(path, frozenset({"client"}), f"{where} read")
        key = table.get("total", table.get("list"))
        item = table.get("item")

        def answer(client: SoakClient) -> Any:
            return client.request(method, path.format(**_fields(client))).json()[key]

        if "total" in table:
            return answer

        def held(client: SoakClient) -> set[int]:
            entries = answer(client)
            values = [entry[item] for entry in entries] if item else entries
            own = re.compile(rf"c{client.index}-(\d+)")
            return {int(found[1]) for value in values if (found := own.fullmatch(str(value)))}

        return held

    _check_template(path, _WRITE_FIELDS | {"answer"}, f"{where} read")
    if not re.search(r"\{(n|value|answer\[[^]]+\])\}", path):
        raise ScenarioError(
            f"{where}: `read` {path!r} must name one write ({{n}}, {{value}} or "
            "{answer[key]}), or say how its answer is read: `total` or `list`"
        )
    needs_answer = "{answer[" in path

    def each_held(client: SoakClient) -> set[int]:
        if needs_answer:  # only an acknowledged write has an answer to read an id from
            wanted = {n: json.loads(body) for n, body in client.acknowledged.items()}
        else:
            wanted = dict.fromkeys(set(client.acknowledged) | client.in_doubt)
        return {
            n
            for n, answer in wanted.items()
            if client.request(method, path.format(**_fields(client, n, answer))).ok
        }

    return each_held


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
        from proven.scenarios import load_scenario
        from proven.soak import Stateful, soak

        counter = Stateful.from_scenario(load_scenario("stateless-processes/hit-counter"))
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
