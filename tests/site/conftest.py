"""Fixtures for the site checks: the site built once per test run, served like Netlify."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from netlify_server import NetlifyServer
from site_build import build_site_once


@pytest.fixture(scope="session")
def built_site(run_dir: Path) -> Path:
    """The site, built strictly once per test run (the first worker that needs it builds it).

    A failed build raises in every test that needs the site, with MkDocs's output.
    """
    return build_site_once(run_dir)


@pytest.fixture(scope="session")
def netlify(built_site: Path) -> Iterator[NetlifyServer]:
    """The built site served on 127.0.0.1 with netlify.toml's headers and redirects."""
    with NetlifyServer(built_site) as server:
        yield server
