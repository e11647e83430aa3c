"""The built site, for the site checks and the site benchmark: build it, list its pages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from proven.paths import ROOT

# Every page of the site as the URL path it is served at, known before the build
# so that tests can be parametrized by page.
PAGES = ["/"] + sorted(
    f"/{p.relative_to(ROOT / 'docs').with_suffix('').as_posix()}/"
    for p in (ROOT / "docs").rglob("*.md")
    if p.stem != "index"
)

# A path no page has: Netlify answers it with the site's 404 page.
MISSING_PAGE = "/no-such-page/"


def build_site(site_dir: Path) -> Path:
    """Build the site with `mkdocs build --strict` into `site_dir` and return it."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if build.returncode != 0:
        raise RuntimeError(f"mkdocs build failed:\n{build.stderr}")
    return site_dir


def build_site_once(folder: Path) -> Path:
    """Build the site into `folder/site` unless this test run already has; return it.

    The workers of a parallel run (`-n auto`) share `folder`: the first to ask
    builds under a file lock, the others wait for it and use its build. A failed
    build is tried again by the next that asks, and raises there too.
    """
    import fcntl  # Linux and macOS, like the proofs

    site, built = folder / "site", folder / "site.built"
    with open(folder / "site.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not built.exists():
                build_site(site)
                built.touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return site
