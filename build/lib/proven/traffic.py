"""Steady client traffic in a background thread, keeping when each request was acknowledged."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from proven.processes import AppProcess


@dataclass(frozen=True)
class Sent:
    """One request of the traffic: when it left, when it ended, and its answer.

    `response` is None when no answer came (a refused connection, a reset, a
    timeout). A request is *acknowledged* when it got a 2xx answer.

    Example:
        ```python
        from proven.traffic import Sent

        refused = Sent(started=1.0, finished=1.1, response=None)
        assert not refused.acknowledged
        ```
    """

    started: float
    """`time.monotonic()` when the request was sent."""
    finished: float
    """`time.monotonic()` when its answer (or its failure) arrived."""
    response: requests.Response | None

    @property
    def acknowledged(self) -> bool:
        """Whether the server answered with a 2xx status."""
        return self.response is not None and self.response.ok


class Traffic:
    """Send requests one after another until stopped; keep every request's outcome.

    A request is *acknowledged* when the server answered it with a 2xx
    status; a refused connection, a reset or a 5xx is counted as failed.
    `sent` keeps each request with its times and answer, so a proof can tell
    which writes were acknowledged before an event and which after, and check
    each one by its identity.

    Example:
        ```python
        import time

        import requests

        from proven import AppProcess, Traffic

        with AppProcess("stateless-processes/hit-counter/bad") as app:
            with Traffic(lambda: requests.post(f"{app.url}/hits", timeout=5)) as traffic:
                time.sleep(0.2)
            assert traffic.acknowledged > 0
            answers = [sent.response.json()["hits"] for sent in traffic.sent]
            assert answers == list(range(1, traffic.acknowledged + 1))
        ```
    """

    def __init__(self, send: Callable[[], requests.Response]) -> None:
        self.send = send
        self.sent: list[Sent] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                response: requests.Response | None = self.send()
            except requests.RequestException:
                response = None
            self.sent.append(Sent(started, time.monotonic(), response))

    @property
    def acknowledged(self) -> int:
        """How many requests got a 2xx answer."""
        return sum(sent.acknowledged for sent in self.sent)

    @property
    def failed(self) -> int:
        """How many requests got no answer or a non-2xx one."""
        return len(self.sent) - self.acknowledged

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Let the request in flight finish, then stop sending."""
        self._stopping.set()
        self._thread.join()


@dataclass(frozen=True)
class Crash:
    """Traffic around one kill -9 and restart: what was acknowledged before and after.

    *Before* holds the requests answered 2xx before SIGKILL was sent: the
    killed process served them. *After* holds those sent once the new process
    answered its first request: the new process served them. A request sent
    in between is in neither list (it may have reached either process).

    Example:
        ```python
        from proven.traffic import Crash, Sent, Traffic

        traffic = Traffic(send=lambda: None)
        traffic.sent.extend([Sent(1.0, 1.1, None), Sent(3.0, 3.1, None)])
        crash = Crash(traffic, killed_at=2.0, restarted_at=2.5)
        assert crash.before == [] and crash.after == []  # neither request was acknowledged
        ```
    """

    traffic: Traffic
    killed_at: float
    """`time.monotonic()` just before SIGKILL was sent."""
    restarted_at: float
    """`time.monotonic()` once the new process had answered HTTP."""

    def moment(self, sent: Sent) -> str:
        """`"before"` the kill, `"after"` the restart, or `"between"` (either process)."""
        if sent.finished < self.killed_at:
            return "before"
        return "after" if sent.started > self.restarted_at else "between"

    def _acknowledged_at(self, moment: str) -> list[requests.Response]:
        return [
            sent.response
            for sent in self.traffic.sent
            if sent.acknowledged and sent.response and self.moment(sent) == moment
        ]

    @property
    def before(self) -> list[requests.Response]:
        """Answers acknowledged before the kill, in the order they arrived."""
        return self._acknowledged_at("before")

    @property
    def after(self) -> list[requests.Response]:
        """Answers to requests sent after the restart, acknowledged, in order."""
        return self._acknowledged_at("after")

    @property
    def acknowledged(self) -> list[requests.Response]:
        """Every acknowledged answer of the run, in order: before, between and after."""
        return [sent.response for sent in self.traffic.sent if sent.acknowledged and sent.response]


def crash_under_traffic(
    app: AppProcess, send: Callable[[], requests.Response], seconds: float = 0.5
) -> Crash:
    """Send traffic for `seconds`, kill -9 the app, restart it, send for `seconds` more.

    Returns the [`Crash`][proven.traffic.Crash]: the answers acknowledged
    before the kill and after the restart, which a proof checks one by one
    against what the app still holds.

    Example:
        ```python
        import requests

        from proven import AppProcess, crash_under_traffic

        with AppProcess("stateless-processes/hit-counter/bad") as app:
            hit = lambda: requests.post(f"{app.url}/hits", timeout=5)  # noqa: E731
            crash = crash_under_traffic(app, hit, seconds=0.3)
            kept = requests.get(f"{app.url}/hits", timeout=5).json()["hits"]
            assert crash.before and kept <= len(crash.acknowledged) - len(crash.before)
        ```
    """
    with Traffic(send) as traffic:
        time.sleep(seconds)
        killed_at = time.monotonic()
        app.crash_and_restart()
        restarted_at = time.monotonic()
        time.sleep(seconds)
    return Crash(traffic, killed_at, restarted_at)
