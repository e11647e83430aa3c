"""Fixtures for the Factor XII proofs: web processes started together, one-off commands."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from proven import AppProcess, run_to_exit
from proven.processes import Exit, close_all
from proven.scenarios import load_scenario
from proven.services import Namespaces, free_port


@pytest.fixture
def boot() -> Iterator[Callable[..., AppProcess]]:
    """Start an example app on a free port without waiting for it to answer; it may serve, or
    crash while booting (`AppProcess.outcome` tells). Every one is stopped after the proof."""
    started: list[AppProcess] = []

    def start(example: Path | str, **kwargs: object) -> AppProcess:
        app = AppProcess(example, port=free_port(), **kwargs)
        started.append(app)
        app.spawn()
        return app

    yield start
    close_all(started)


@pytest.fixture
def run_setup() -> Callable[[str, dict[str, str]], Exit]:
    """Run a twin's set-up command as a one-off process and wait for it.

    The command is the pair's `setup` in its `scenario.toml` (`migrate` here),
    run as `flask --app <twin>/app.py migrate`.
    """

    def run(twin: str, env: dict[str, str]) -> Exit:
        scenario = load_scenario(twin.rsplit("/", 1)[0])
        return run_to_exit(twin, env=env, command=scenario.setup_command)

    return run


@pytest.fixture
def other_database_url(postgres_server_url: str) -> Iterator[Callable[[str], str]]:
    """Create an empty database of the given name on the session's PostgreSQL; its URL.

    Every database it creates is dropped after the proof.
    """
    with Namespaces(postgres_server_url, kind="database") as databases:
        yield databases.create
