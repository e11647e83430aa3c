"""Fixtures of the harness's own tests: clones of this checkout, and pytest runs started in them.

These tests run pytest in a subprocess with this run's Python (one virtualenv,
as a contributor has), in a checkout or a folder of their own, with a
temporary folder of their own, so that they see only what their run leaves.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from proven.paths import ROOT


@pytest.fixture
def clone(tmp_path: Path) -> Callable[[str], Path]:
    """`clone(name)`: a second checkout of this one, `git clone` of its commit, in `tmp_path`."""

    if not (ROOT / ".git").exists():
        pytest.skip(f"{ROOT} is not a git checkout (an unpacked archive): nothing to clone")

    def make(name: str) -> Path:
        into = tmp_path / name
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(into)], check=True)
        return into

    return make


@pytest.fixture
def run_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a pytest run started by a test, with `tmp_path/tmp` as its TMPDIR.

    Nothing of this run's own pytest or swap check leaks in (`PYTEST_XDIST_WORKER`,
    `PROVEN_ROOT`, `PROOF_SWAP_TWINS`, ...): the run takes its checkout from where it runs.
    """
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTEST_", "PROVEN_", "PROOF_"))
    }
    return {**env, "TMPDIR": str(tmpdir)}


@pytest.fixture
def run_argv() -> Callable[..., list[str]]:
    """`run_argv(*args)`: `python -m pytest` with this run's Python, one process, no cache."""

    def argv(*args: str) -> list[str]:
        return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]

    return argv
