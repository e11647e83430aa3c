"""Fixtures of the hostile-input tests: services a target's environment may name."""

from __future__ import annotations

import pytest


@pytest.fixture
def greeter_url(start_app) -> str:
    """The URL of a running greeting service, for the app that calls one (`GREETER_URL`)."""
    return start_app("port-binding/port/good", env={"PORT": "8000"}).url


@pytest.fixture
def identity_file(tmp_path) -> str:
    """A token file, for the app that signs in with one (`REDIS_IDENTITY_FILE`).

    The session's Redis lets its `default` user in with any token, so any will do.
    """
    path = tmp_path / "redis-token"
    path.write_text("hostile-input-token\n")
    return str(path)
