"""A load balancer with session affinity, for the sticky-session proof.

[`StickyBalancer`][] is a real HTTP reverse proxy on a free port, in a thread
of the test run, routing to real app processes. It pins each visitor the way
HAProxy's `cookie SERVERID insert` with `option redispatch` does: a visitor
without its cookie goes to the next process in turn and gets a cookie naming
that process; later requests carrying the cookie go to the same process; when
that process does not answer, the request is sent to the next live one, and
the visitor is pinned there instead. It records which process served each
request, so a proof can show that the affinity took part.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count

import pytest

from proven import AppProcess

COOKIE = "balancer_pin"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass(frozen=True)
class Routed:
    """One request the balancer forwarded: its path and the process (by index) that served it."""

    method: str
    path: str
    backend: int
    pinned: bool
    """Whether the request carried a cookie naming a process (affinity), or was new."""


class StickyBalancer:
    """A cookie-affinity reverse proxy in front of several app processes."""

    def __init__(self, apps: list[AppProcess]) -> None:
        self.apps = apps
        self.routed: list[Routed] = []
        self._turn = count()
        balancer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                balancer.forward(self)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Where visitors send their requests."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> StickyBalancer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _pinned(self, handler: BaseHTTPRequestHandler) -> int | None:
        cookie = SimpleCookie(handler.headers.get("Cookie", ""))
        value = cookie[COOKIE].value if COOKIE in cookie else ""
        return int(value) if value.isdigit() and int(value) < len(self.apps) else None

    def forward(self, handler: BaseHTTPRequestHandler) -> None:
        pinned = self._pinned(handler)
        first = pinned if pinned is not None else next(self._turn) % len(self.apps)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
        for step in range(len(self.apps)):
            backend = (first + step) % len(self.apps)
            connection = http.client.HTTPConnection("127.0.0.1", self.apps[backend].port, 10)
            try:
                connection.request(handler.command, handler.path, body=body, headers=headers)
                answer = connection.getresponse()
                content = answer.read()
            except OSError:
                connection.close()
                continue  # option redispatch: that process is gone, try the next one
            connection.close()
            self.routed.append(Routed(handler.command, handler.path, backend, pinned is not None))
            handler.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP:
                    handler.send_header(name, value)
            if backend != pinned:
                handler.send_header("Set-Cookie", f"{COOKIE}={backend}; Path=/; HttpOnly")
            handler.send_header("Content-Length", str(len(content)))
            handler.end_headers()
            handler.wfile.write(content)
            return
        handler.send_error(503, "no process answers")


@pytest.fixture
def sticky_balancer() -> Iterator[Callable[[list[AppProcess]], StickyBalancer]]:
    """Put a cookie-affinity load balancer in front of app processes; stopped after the proof."""
    started: list[StickyBalancer] = []

    def start(apps: list[AppProcess]) -> StickyBalancer:
        balancer = StickyBalancer(apps).start()
        started.append(balancer)
        return balancer

    yield start
    for balancer in started:
        balancer.close()
