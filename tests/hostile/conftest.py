"""Fixtures of the hostile-input tests: services a target's environment may name."""

from __future__ import annotations

import pytest


@pytest.fixture
def greeter_url(start_app) -> str:
    """The URL of a running greeting service, for the app that calls one (`GREETER_URL`)."""
    return start_app("port-binding/port/good", env={"PORT": "8000"}).url
