"""A load balancer with session affinity: a real reverse proxy for the sticky-session proof.

[`StickyBalancer`][proven.balancer.StickyBalancer] is a real HTTP reverse
proxy on a free port, in a thread of the test run, routing to real app
processes. It pins each visitor the way HAProxy's `cookie SERVERID insert` with
`option redispatch` does: a visitor without its cookie goes to the next process
in turn and gets a cookie naming that process; later requests carrying the
cookie go to the same process; when that process does not answer, the request
is sent to the next live one, and the visitor is pinned there instead. It
records which process served each request, so a proof can show that the
affinity took part.
"""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count

from proven.processes import AppProcess

COOKIE = "balancer_pin"
"""The cookie that names the process a visitor is pinned to (its index)."""

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}
"""Headers the balancer does not pass on: they belong to one connection, not to the request."""


@dataclass(frozen=True)
class Routed:
    """One request the balancer forwarded: its path and the process (by index) that served it.

    Example:
        ```python
        from proven.balancer import Routed

        first = Routed("POST", "/cart/items", backend=1, pinned=False)
        assert not first.pinned and first.backend == 1
        ```
    """

    method: str
    path: str
    backend: int
    pinned: bool
    """Whether the request carried a cookie naming a process (affinity), or was new."""


class StickyBalancer:
    """A cookie-affinity reverse proxy in front of several app processes.

    Example:
        ```python
        import requests

        from proven import AppProcess
        from proven.balancer import StickyBalancer

        apps = [AppProcess("stateless-processes/hit-counter/bad").start() for _ in range(2)]
        balancer = StickyBalancer(apps).start()
        try:
            visitor = requests.Session()
            for _ in range(3):
                visitor.post(f"{balancer.url}/hits", timeout=5)
            assert visitor.get(f"{balancer.url}/hits", timeout=5).json() == {"hits": 3}
            assert [sent.pinned for sent in balancer.routed] == [False, True, True, True]
        finally:
            balancer.close()
            for app in apps:
                app.close()
        ```
    """

    def __init__(self, apps: list[AppProcess]) -> None:
        self.apps = apps
        self.routed: list[Routed] = []
        """Every request forwarded so far, in order."""
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
        """Start serving in a thread of the test run."""
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and close the listening socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _pinned(self, handler: BaseHTTPRequestHandler) -> int | None:
        cookie = SimpleCookie(handler.headers.get("Cookie", ""))
        value = cookie[COOKIE].value if COOKIE in cookie else ""
        return int(value) if value.isdigit() and int(value) < len(self.apps) else None

    def forward(self, handler: BaseHTTPRequestHandler) -> None:
        """Send one request to the visitor's process, or to the next live one, and answer it."""
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
