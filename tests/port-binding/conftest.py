"""Fixtures for the Factor VII proofs: start a copy and see where it listens, or that it exits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from proven import AppProcess
from proven.processes import close_all


@pytest.fixture
def launch() -> Iterator[Callable[..., tuple[AppProcess, str]]]:
    """Start a copy of an example and wait until it listens or exits, without asking it
    anything: returns the copy and "listening at ADDRESS", "exit N" or "still starting"
    (`AppProcess.listening`).

    Unlike `start_app`, a copy that binds another port than the proof expected, or none,
    does not fail the start: the proof asserts where it listens. Every copy is stopped after
    the proof.
    """
    started: list[AppProcess] = []

    def start(
        example: Path | str, timeout: float = 20.0, **kwargs: object
    ) -> tuple[AppProcess, str]:
        app = AppProcess(example, **kwargs)
        started.append(app)
        app.spawn()
        return app, app.listening(timeout)

    yield start
    close_all(started)
