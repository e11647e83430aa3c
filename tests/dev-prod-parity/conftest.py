"""Fixtures for the Factor X proofs: separate PostgreSQL environments on one server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import quote

import psycopg
import pytest


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
