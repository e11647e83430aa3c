"""The built site, for the site checks and the site benchmark: build it, list its pages.

The site is built by MkDocs (the deploy) and by Zensical, Material's successor,
pinned in `.ci/zensical-requirements.txt` and installed in a venv of its own
(`.ci/run` does it; see `ZENSICAL_VARIABLE`), so the deploy's requirements and
the proofs' fingerprints stay as they are.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
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


ZENSICAL_VARIABLE = "ZENSICAL"
"""Names the `zensical` command to build with; else one on `PATH` or beside this Python."""

INSTALL_ZENSICAL = (
    "python3 -m venv .zensical-venv && .zensical-venv/bin/pip install -r docs/requirements.txt "
    "-r .ci/zensical-requirements.txt && .zensical-venv/bin/pip install --no-deps -e . && "
    "export ZENSICAL=$PWD/.zensical-venv/bin/zensical"
)
"""How to get the pinned Zensical, as `.ci/run` does (the venv is Netlify's, plus Zensical)."""

# What the Zensical build copies of the project: what mkdocs.yml, the pages' includes
# and the claims extension read. It cannot build elsewhere than beside its config.
_COPIED = ("mkdocs.yml", "CONTRIBUTING.md", "docs", "overrides", "src", "tests", "examples")


def find_zensical() -> str | None:
    """The `zensical` command to build with, or None when there is none."""
    named = os.environ.get(ZENSICAL_VARIABLE)
    if named:
        return named
    beside = Path(sys.executable).parent / "zensical"
    return shutil.which("zensical") or (str(beside) if beside.is_file() else None)


def build_zensical(folder: Path, zensical: str) -> Path:
    """Build a copy of the project in `folder` with Zensical, strictly; return the built site.

    Zensical writes its site (and a cache) beside its config file, so it builds
    a copy, made fresh: nothing is written into the checkout, and no cache
    from an earlier build hides a changed proof. The copy's own `src/` comes
    first on the import path, so the Markdown extensions are this checkout's
    even when the `zensical` venv has the package installed from another.
    """
    shutil.rmtree(folder, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache")
    for name in _COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, folder / name, ignore=ignore)
        else:
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(folder / "src")}
    env.pop("PROVEN_ROOT", None)
    build = subprocess.run(
        [zensical, "build", "--strict", "--clean"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if build.returncode != 0 or "No issues found" not in build.stdout + build.stderr:
        raise RuntimeError(f"zensical build failed:\n{build.stdout}\n{build.stderr}")
    return folder / "site"


def build_site_once(folder: Path) -> Path:
    """Build the site into `folder/site` unless this test run already has; return it.

    The workers of a parallel run (`-n auto`) share `folder`: the first to ask
    builds under a file lock, the others wait for it and use its build. A failed
    build is tried again by the next that asks, and raises there too.
    """
    return _once(folder, "site", build_site)


def build_zensical_once(folder: Path, zensical: str) -> Path:
    """The same for the Zensical build, in `folder/zensical`; return its built site."""
    return _once(folder, "zensical", lambda project: build_zensical(project, zensical)) / "site"


def _once(folder: Path, name: str, build: Callable[[Path], object]) -> Path:
    """`build(folder/name)` under a file lock, unless this test run already has; `folder/name`."""
    import fcntl  # Linux and macOS, like the proofs

    target, built = folder / name, folder / f"{name}.built"
    with open(folder / f"{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not built.exists():
                build(target)
                built.touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target
