"""Fixtures for the Factor X proofs: separate PostgreSQL environments on one server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from proven.services import Namespaces


@pytest.fixture
def schema_url(database_url: str) -> Iterator[Callable[[str], str]]:
    """Give each environment (`"laptop"`, `"prod"`, ...) its own empty schema and a URL to it.

    The URL sets the connection's `search_path`, so the app's tables land in
    that schema: two environments on one PostgreSQL server share nothing.
    """
    with Namespaces(database_url, kind="schema") as schemas:
        yield schemas.create
