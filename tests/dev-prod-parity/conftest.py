"""Fixtures for the Factor X proofs: separate PostgreSQL environments on one server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from harness import AppProcess


@pytest.fixture
def schema_url(database_url: str) -> Iterator[Callable[[str], str]]:
    """Give each environment (`"laptop"`, `"prod"`, ...) its own empty schema and a URL to it.

    The URL sets the connection's `search_path`, so the app's tables land in
    that schema: two environments on one PostgreSQL server share nothing.
    """
    created: list[str] = []

    def create(name: str) -> str:
        with psycopg.connect(database_url, autocommit=True) as db:
            db.execute(f'drop schema if exists "{name}" cascade')
            db.execute(f'create schema "{name}"')
        created.append(name)
        separator = "&" if "?" in database_url else "?"
        return f"{database_url}{separator}options={quote(f'-csearch_path={name}')}"

    yield create
    with psycopg.connect(database_url, autocommit=True) as db:
        for name in created:
            db.execute(f'drop schema if exists "{name}" cascade')


@pytest.fixture
def start_app() -> Iterator[Callable[..., AppProcess]]:
    """The shared `start_app`, except that it stops its processes all at once.

    These proofs start up to eight copies; gunicorn takes about a second to stop
    gracefully, and stopping them side by side saves most of that wait.
    """
    started: list[AppProcess] = []

    def start(example: Path | str, **kwargs: object) -> AppProcess:
        app = AppProcess(example, **kwargs)
        started.append(app)
        return app.start()

    yield start
    close_all(started)


def close_all(apps: list[AppProcess]) -> None:
    """Stop and clean up every app at the same time."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(AppProcess.close, apps))
