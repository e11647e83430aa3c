"""A fixture for the disposability proofs: a worker process (worker.py) beside the web app."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from proven import AppProcess


def worker_command(example: Path, port: int) -> list[str]:
    """The argv of an example's worker process type: `python worker.py`."""
    return [sys.executable, str(example / "worker.py")]


@pytest.fixture
def start_worker() -> Iterator[Callable[..., AppProcess]]:
    """Start an example's `worker.py` as a real process; each one is stopped after the proof."""
    started: list[AppProcess] = []

    def start(example: str, env: dict[str, str]) -> AppProcess:
        worker = AppProcess(example, env=env, command=worker_command)
        started.append(worker)
        worker.spawn()
        worker.wait_for_output("worker ready")
        return worker

    yield start
    for worker in started:
        worker.close()
