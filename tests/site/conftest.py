"""Fixtures for the site checks: the site built once per test run, served like Netlify."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from proven.site.build import INSTALL_ZENSICAL, build_site_once, build_zensical_once, find_zensical
from proven.site.chromium import CHROMIUM_ARGS, INSTALL_CHROMIUM, system_chromium
from proven.site.netlify import NetlifyServer


@pytest.fixture(scope="session")
def built_site(run_dir: Path) -> Path:
    """The site, built strictly once per test run (the first worker that needs it builds it).

    A failed build raises in every test that needs the site, with MkDocs's output.
    """
    return build_site_once(run_dir)


@pytest.fixture(scope="session")
def zensical_site(run_dir: Path) -> Path:
    """The site built by the pinned Zensical (`.ci/zensical-requirements.txt`), once per run.

    Skipped (failed under REQUIRE_SERVICES=1) when no `zensical` command is found
    (`ZENSICAL`, `PATH`, or beside this Python), with how to install it.
    """
    zensical = find_zensical()
    if zensical is None:
        reason = f"no Zensical found: {INSTALL_ZENSICAL}"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason} (REQUIRE_SERVICES=1 turns this skip into a failure)")
        pytest.skip(reason)
    return build_zensical_once(run_dir, zensical)


@pytest.fixture(scope="session")
def netlify(built_site: Path) -> Iterator[NetlifyServer]:
    """The built site served on 127.0.0.1 with netlify.toml's headers and redirects."""
    with NetlifyServer(built_site) as server:
        yield server


BROWSER_USED: list[str] = []
"""What the browser checks of this run launched, for the summary at the end."""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium: the system's when there is one, else Playwright's own download.

    Skipped (failed under REQUIRE_SERVICES=1) when there is neither, with what to install.
    """
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        executable = system_chromium()
        try:
            # Playwright gives the browser a fresh temporary profile of its own.
            browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except playwright_api.Error as error:
            if executable or "Executable doesn't exist" not in str(error):
                raise
            reason = f"no Chromium found: {INSTALL_CHROMIUM}"
            if os.environ.get("REQUIRE_SERVICES") == "1":
                pytest.fail(f"{reason} (REQUIRE_SERVICES=1 turns this skip into a failure)")
            pytest.skip(reason)
        used = (
            f"{executable} (the system's)"
            if executable
            else f"Playwright's own, {browser.version} (from `playwright install chromium`)"
        )
        if used not in BROWSER_USED:
            BROWSER_USED.append(used)
        yield browser
        browser.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which Chromium the browser checks used, when they ran."""
    for used in BROWSER_USED:
        terminalreporter.write_line(f"browser checks used Chromium: {used}")
