"""Several copies of one app behind a deterministic round-robin client."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import cycle
from typing import Generic, TypeVar

import requests

from proven.processes import AppProcess

Answer = TypeVar("Answer")
"""What a client's `request` returns: a `requests.Response` for the harness's clients."""


class Verbs(Generic[Answer]):
    """`get`, `post` and `put` for a client class that defines `request(method, path, ...)`.

    The clients of the harness choose a process for each request in their own
    way (in turn, or the next one that accepts the connection); the verbs are
    the same for all of them.

    Example:
        ```python
        from proven import AppProcess, RoundRobin
        from proven.cluster import Verbs
        from proven.soak import SoakClient

        with AppProcess("stateless-processes/hit-counter/bad") as app:
            for client in (RoundRobin([app]), SoakClient(0, [app])):
                assert isinstance(client, Verbs)
                assert client.post("/hits").status_code == 200
            assert client.get("/hits").json() == {"hits": 2}
        ```
    """

    def request(self, method: str, path: str, **kwargs: object) -> Answer:
        """Send one request; each client class says to which process."""
        raise NotImplementedError

    def get(self, path: str, **kwargs: object) -> Answer:
        """`GET path`, sent by `request`."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: object) -> Answer:
        """`POST path`, sent by `request`."""
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: object) -> Answer:
        """`PUT path`, sent by `request`."""
        return self.request("PUT", path, **kwargs)


class RoundRobin(Verbs[requests.Response]):
    """A load balancer without sticky sessions, as a client.

    Request *k* goes to process *k mod n*, so a proof knows which copy served
    what. Cookies live in one shared session, the way a browser keeps them
    whichever server answered.

    Example:
        ```python
        from proven import AppProcess, RoundRobin

        with AppProcess("stateless-processes/hit-counter/bad") as a, AppProcess(
            "stateless-processes/hit-counter/bad"
        ) as b:
            balancer = RoundRobin([a, b])
            balancer.post("/hits")
            answers = [balancer.get("/hits").json()["hits"] for _ in range(2)]
            assert answers == [0, 1]
        ```
    """

    def __init__(self, apps: Sequence[AppProcess], timeout: float = 10.0) -> None:
        if not apps:
            raise ValueError("a round-robin needs at least one app")
        self.apps = list(apps)
        self.session = requests.Session()
        self.timeout = timeout
        self._next = cycle(range(len(self.apps)))

    def request(self, method: str, path: str, **kwargs: object) -> requests.Response:
        """Send one request to the next process in turn."""
        app = self.apps[next(self._next)]
        kwargs.setdefault("timeout", self.timeout)
        return self.session.request(method, app.url + path, **kwargs)
