"""Several copies of one app behind a deterministic round-robin client."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import cycle

import requests

from proven.processes import AppProcess


class RoundRobin:
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

    def get(self, path: str, **kwargs: object) -> requests.Response:
        """`GET path` on the next process in turn."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: object) -> requests.Response:
        """`POST path` on the next process in turn."""
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: object) -> requests.Response:
        """`PUT path` on the next process in turn."""
        return self.request("PUT", path, **kwargs)
