"""Fixtures of the soak runs: the budget from the command line, and a summary at the end."""

from __future__ import annotations

import os
from typing import Any

import pytest

from proven.soak import SoakReport

REPORTS = pytest.StashKey[list[SoakReport]]()

SOAK_DEFAULTS = {"local": (4000, 60.0), "ci": (1000, 6.0)}
"""(writes, seconds) per soak run: a few thousand locally, a short budget when `CI` is set."""


@pytest.fixture(scope="session")
def soak_budget(pytestconfig: pytest.Config) -> dict[str, Any]:
    """Keyword arguments of `soak()` from `--soak-*` options (a short budget when `CI` is set)."""
    requests_default, seconds_default = SOAK_DEFAULTS["ci" if os.environ.get("CI") else "local"]
    return {
        "requests_budget": pytestconfig.getoption("soak_requests") or requests_default,
        "seconds": pytestconfig.getoption("soak_seconds") or seconds_default,
        "clients": pytestconfig.getoption("soak_clients"),
        "seed": pytestconfig.getoption("soak_seed"),
    }


@pytest.fixture
def keep_report(pytestconfig: pytest.Config):
    """Keep a soak report for the summary printed at the end of the run."""

    def keep(report: SoakReport) -> SoakReport:
        pytestconfig.stash.setdefault(REPORTS, []).append(report)
        print(report.summary())
        return report

    return keep


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Print every soak run's figures, good and bad twins, whether the tests passed or not."""
    reports = config.stash.get(REPORTS, [])
    if reports:
        terminalreporter.write_sep("-", "soak runs")
        for report in reports:
            terminalreporter.write_line(report.summary())
