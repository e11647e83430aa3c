"""Fixtures of the hostile-input tests: the services a target's environment may name.

The tests of one pair share one running good twin (`target`), so every value
its `[env]` names lives as long as the pair's tests: these fixtures are
class-scoped, and those that hold state depend on `scenario`, so that each
pair starts from an empty database.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
import redis

from proven import AppProcess
from proven.scenarios import Scenario


@pytest.fixture(scope="class")
def redis_url(redis_server_url: str, scenario: Scenario) -> str:
    """The session's Redis, emptied for this pair (`{redis_url}`)."""
    with redis.Redis.from_url(redis_server_url) as client:
        client.flushdb()
    return redis_server_url


@pytest.fixture(scope="class")
def database_url(postgres_server_url: str, scenario: Scenario) -> str:
    """The session's PostgreSQL with an empty `public` schema for this pair (`{database_url}`)."""
    with psycopg.connect(postgres_server_url, autocommit=True) as db:
        db.execute("drop schema if exists public cascade")
        db.execute("create schema public")
    return postgres_server_url


@pytest.fixture(scope="class")
def greeter_url() -> Iterator[str]:
    """The URL of a running greeting service, for the app that calls one (`GREETER_URL`)."""
    greeter = AppProcess("port-binding/port/good", env={"PORT": "8000"})
    try:
        yield greeter.start().url
    finally:
        greeter.close()


@pytest.fixture(scope="class")
def identity_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An identity file, for the app that signs in with one (`REDIS_IDENTITY_FILE`).

    The session's Redis lets its `default` user in with any token, so any will do.
    """
    path = tmp_path_factory.mktemp("identity") / "redis-identity.json"
    path.write_text('{"user": "default", "token": "hostile-input-token"}\n')
    return str(path)
