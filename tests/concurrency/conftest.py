"""Process managers for the concurrency proofs: honcho runs a Procfile, supervisord supervises.

Both come from `proven.managers`; every process they start is gone after the proof.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from proven.managers import Formation, Supervised


@pytest.fixture
def start_formation() -> Iterator[Callable[..., Formation]]:
    """Run an example's Procfile with honcho; every process is gone after the proof."""
    started: list[Formation] = []

    def start(example: str, formation: str, env: dict[str, str] | None = None) -> Formation:
        managed = Formation(example, env)
        started.append(managed)
        return managed.start(formation)

    yield start
    for managed in started:
        managed.close()


@pytest.fixture
def supervise() -> Iterator[Callable[..., Supervised]]:
    """Run an example's `web` process under supervisord; every process is gone afterwards."""
    started: list[Supervised] = []

    def start(example: str) -> Supervised:
        managed = Supervised(example)
        started.append(managed)
        return managed.start()

    yield start
    for managed in started:
        managed.close()
