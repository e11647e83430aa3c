"""Fixtures for the Factor XII proofs: web processes started together, one-off commands."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import requests

from proven import AppProcess, run_to_exit
from proven.processes import Exit, close_all
from proven.scenarios import load_scenario
from proven.services import free_port


class Booting:
    """A web process started without waiting for it: it may serve, or crash while booting."""

    def __init__(self, app: AppProcess) -> None:
        self.app = app
        self.app.port = free_port()
        self.process = app.spawn()

    def outcome(self, timeout: float = 20.0) -> str:
        """`"serving"` once it answers HTTP, or `"crashed"` if it exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return "crashed"
            try:
                requests.get(self.app.url, timeout=2)
                return "serving"
            except requests.ConnectionError:
                time.sleep(0.05)
        return "still booting"


@pytest.fixture
def boot() -> Iterator[Callable[..., Booting]]:
    """Start an example app without waiting for it to answer; every one is stopped after."""
    started: list[AppProcess] = []

    def start(example: Path | str, **kwargs: object) -> Booting:
        app = AppProcess(example, **kwargs)
        started.append(app)
        return Booting(app)

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
    created: list[str] = []

    def create(name: str) -> str:
        with psycopg.connect(postgres_server_url, autocommit=True) as db:
            db.execute(f'drop database if exists "{name}" with (force)')
            db.execute(f'create database "{name}"')
        created.append(name)
        return urlunsplit(urlsplit(postgres_server_url)._replace(path=f"/{name}"))

    yield create
    with psycopg.connect(postgres_server_url, autocommit=True) as db:
        for name in created:
            db.execute(f'drop database if exists "{name}" with (force)')
