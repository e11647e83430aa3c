"""The site builds with `mkdocs build --strict`: no broken link, anchor, include or claim."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_strict_build_has_no_warnings(tmp_path):
    """Build the whole site strictly (never with -v: MkDocs 1.6.1 then skips the anchor check)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    warnings = [line for line in build.stderr.splitlines() if "WARNING" in line]
    assert build.returncode == 0 and not warnings, build.stderr
