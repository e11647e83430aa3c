"""Steady client traffic in a background thread, counting what was acknowledged."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import requests

from harness.processes import AppProcess


class Traffic:
    """Send requests one after another until stopped; count acknowledgements.

    A request is *acknowledged* when the server answered it with a 2xx
    status; a refused connection, a reset or a 5xx is counted as failed. A
    proof compares the acknowledged count with what survives a crash: an
    acknowledged write that is gone was lost.

    Example:
        ```python
        import time

        import requests

        from harness import AppProcess, Traffic

        with AppProcess("stateless-processes/hit-counter/bad") as app:
            with Traffic(lambda: requests.post(f"{app.url}/hits", timeout=5)) as traffic:
                time.sleep(0.2)
            assert traffic.acknowledged > 0
            assert requests.get(f"{app.url}/hits", timeout=5).json()["hits"] == traffic.acknowledged
        ```
    """

    def __init__(self, send: Callable[[], requests.Response]) -> None:
        self.send = send
        self.acknowledged = 0
        self.failed = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                ok = self.send().ok
            except requests.RequestException:
                ok = False
            if ok:
                self.acknowledged += 1
            else:
                self.failed += 1

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Let the request in flight finish, then stop sending."""
        self._stopping.set()
        self._thread.join()


def crash_under_traffic(
    app: AppProcess, send: Callable[[], requests.Response], seconds: float = 0.5
) -> Traffic:
    """Send traffic for `seconds`, kill -9 the app, restart it, send for `seconds` more.

    Returns the finished [`Traffic`][harness.traffic.Traffic], whose
    `acknowledged` count a proof compares with what the app still holds.

    Example:
        ```python
        import requests

        from harness import AppProcess, crash_under_traffic

        with AppProcess("stateless-processes/hit-counter/bad") as app:
            hit = lambda: requests.post(f"{app.url}/hits", timeout=5)  # noqa: E731
            traffic = crash_under_traffic(app, hit, seconds=0.3)
            kept = requests.get(f"{app.url}/hits", timeout=5).json()["hits"]
            assert kept < traffic.acknowledged  # hits acknowledged before the crash are gone
        ```
    """
    with Traffic(send) as traffic:
        time.sleep(seconds)
        app.crash_and_restart()
        time.sleep(seconds)
    return traffic
