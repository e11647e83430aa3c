"""A fixture for the disposability proofs: a worker process (worker.py) beside the web app."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from proven import AppProcess
from proven.processes import script_command


@pytest.fixture
def start_worker() -> Iterator[Callable[..., AppProcess]]:
    """Start an example's `worker.py` as a real process; each one is stopped after the proof."""
    started: list[AppProcess] = []

    def start(example: str, env: dict[str, str]) -> AppProcess:
        worker = AppProcess(example, env=env, command=script_command("worker.py"))
        started.append(worker)
        worker.spawn()
        worker.wait_for_output("worker ready")
        return worker

    yield start
    for worker in started:
        worker.close()
