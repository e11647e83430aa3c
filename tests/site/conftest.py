"""Fixtures for the site checks: the site built once per session, served like Netlify."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from netlify_server import NetlifyServer
from site_build import build_site


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once per test session into a temporary folder."""
    return build_site(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="session")
def netlify(built_site: Path) -> Iterator[NetlifyServer]:
    """The built site served on 127.0.0.1 with netlify.toml's headers and redirects."""
    with NetlifyServer(built_site) as server:
        yield server
