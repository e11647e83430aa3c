"""Waiting for something a real process does: poll a condition until it holds or time runs out."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll(condition: Callable[[], T], timeout: float = 10.0, interval: float = 0.05) -> T:
    """Call `condition` until it returns something truthy or `timeout` seconds pass.

    Returns its last answer: truthy when it held, falsy when time ran out. Use
    it where running out of time is itself an outcome (a job that never
    completes); use [`wait_for`][proven.waiting.wait_for] where it is a failure.

    Example:
        ```python
        from proven.waiting import poll

        assert poll(lambda: 2 + 2) == 4
        assert poll(lambda: [], timeout=0.1) == []
        ```
    """
    deadline = time.monotonic() + timeout
    while not (answer := condition()) and time.monotonic() < deadline:
        time.sleep(interval)
    return answer


def wait_for(condition: Callable[[], T], timeout: float = 60.0, what: str = "") -> T:
    """Like [`poll`][proven.waiting.poll], but raise `AssertionError` naming `what` at time-out.

    Example:
        ```python
        import pytest

        from proven.waiting import wait_for

        assert wait_for(lambda: "ready") == "ready"
        with pytest.raises(AssertionError, match="the web process"):
            wait_for(lambda: None, timeout=0.1, what="the web process")
        ```
    """
    answer = poll(condition, timeout)
    if not answer:
        raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
    return answer
