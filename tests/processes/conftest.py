"""The load balancer with session affinity that the sticky-session proof puts in front of
its processes: `proven.balancer.StickyBalancer`, started and stopped here."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from proven import AppProcess
from proven.balancer import StickyBalancer


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
