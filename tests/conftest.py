"""Options of this project's suite: the soak runs' budget (`tests/soak/`).

The fixtures every proof uses come from the `proven` package's pytest plugin
(`src/proven/plugin.py`), which this project turns on with `-p proven.plugin` in
the `addopts` of `pyproject.toml` (the plugin is opt-in).
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options of the soak runs in tests/soak/ (the proofs themselves take none)."""
    group = parser.getgroup("soak", "soak runs of the good examples (tests/soak/)")
    group.addoption(
        "--soak-requests",
        type=int,
        default=None,
        help="writes per soak run (default 4000; 1000 when the CI variable is set)",
    )
    group.addoption(
        "--soak-seconds",
        type=float,
        default=None,
        help="time cap per soak run, whichever comes first (default 60; 6 under CI)",
    )
    group.addoption("--soak-clients", type=int, default=8, help="concurrent clients (default 8)")
    group.addoption("--soak-seed", type=int, default=None, help="seed of the fault schedule")
