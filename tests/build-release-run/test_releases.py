"""Proofs for Factor V: releases built once, sealed, and run as they are."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from harness import claim, run_to_exit
from harness.git import Repo
from harness.processes import EXAMPLES_DIR, AppFailedToStart, CommandBuilder
from harness.venvs import ensure_wheels, read_requirements

EXAMPLE = EXAMPLES_DIR / "build-release-run/releases"
TOOL = EXAMPLE / "good" / "release.py"
SHOP = {"SITE_NAME": "the shop"}


@pytest.fixture(scope="module")
def offline_pip() -> dict[str, str]:
    """Environment that makes pip install the pinned wheels from the local cache only."""
    wheels = ensure_wheels(read_requirements(EXAMPLE / "good" / "requirements.txt"))
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels)}


@pytest.fixture(scope="module")
def dependency_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One dependency cache for the release tool, shared by this module's proofs."""
    return tmp_path_factory.mktemp("dependency-cache")


@pytest.fixture
def home(tmp_path: Path, dependency_cache: Path) -> Path:
    """The release tool's folder for one proof: its own builds and ledger, a shared cache."""
    (tmp_path / "releases").mkdir()
    (tmp_path / "releases" / "cache").symlink_to(dependency_cache)
    return tmp_path / "releases"


@pytest.fixture
def origin(tmp_path: Path) -> Repo:
    """The app's repository at version 1, with the bad deploy's start script in it too."""
    repo = Repo.init(tmp_path / "origin")
    files = {name: EXAMPLE / "good" / name for name in ("app.py", "requirements.txt")}
    repo.commit("Greet visitors", {**files, "start.py": EXAMPLE / "bad" / "start.py"})
    repo.commit("Ignore what start.py installs", {".gitignore": "/vendor/\n"})
    return repo


def change_greeting(repo: Repo) -> str:
    """Commit version 2 of the app: it says "Welcome to" instead of "Hello from"."""
    source = (repo.path / "app.py").read_text()
    return repo.commit("Welcome visitors", {"app.py": source.replace("Hello from", "Welcome to")})


def release_tool(home: Path, offline_pip: dict[str, str], *args: object) -> str:
    """Call `release.py --home <home> ...` and return what it printed."""
    done = subprocess.run(
        [sys.executable, str(TOOL), "--home", str(home), *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **offline_pip},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def run_release(home: Path, release_id: str) -> CommandBuilder:
    """The command a platform runs to start one release: `release.py run <id>`."""
    return lambda example, port: [
        *(sys.executable, str(TOOL), "--home", str(home)),
        *("run", release_id, "--port", str(port)),
    ]


def start_script(deploy: Path) -> CommandBuilder:
    """The command the bad deploy's server runs on every start: the deploy's `start.py`."""
    return lambda example, port: ["env", f"PORT={port}", sys.executable, str(deploy / "start.py")]


def greeting(app) -> dict[str, str]:
    return requests.get(f"{app.url}/", timeout=5).json()


def timed_start(app) -> float:
    """Seconds from starting the process to its first HTTP answer."""
    began = time.monotonic()
    app.start()
    return time.monotonic() - began


@claim(
    "build-release-ledger",
    "Build turns a commit into an artifact named by its content hash; a release pairs it "
    "with config under a new id in an append-only ledger; a release changed afterwards, "
    "in its config or its code, refuses to run.",
)
def test_releases_are_sealed(tmp_path, home, origin, offline_pip, start_app):
    """Build one commit twice, release it twice with different config, run a release; then
    change a release by hand, in its ledger entry and in its artifact's code, and run it
    again. Do the same hand edit in the bad twin's deploy and restart it."""
    artifact = release_tool(home, offline_pip, "build", origin.path, origin.head())
    assert release_tool(home, offline_pip, "build", origin.path, origin.head()) == artifact
    assert len(artifact) == 64 and (home / "builds" / artifact / "vendor" / "flask").is_dir()

    assert release_tool(home, offline_pip, "release", artifact, "SITE_NAME=Staging") == "v1"
    ledger = (home / "ledger.jsonl").read_text()
    assert release_tool(home, offline_pip, "release", artifact, "SITE_NAME=Production") == "v2"
    assert (home / "ledger.jsonl").read_text().startswith(ledger)  # appended, v1 untouched

    good = start_app(EXAMPLE / "good", command=run_release(home, "v2"))
    assert greeting(good) == {"greeting": "Hello from Production", "release": "v2"}
    good.stop()

    sealed = (home / "ledger.jsonl").read_text()
    (home / "ledger.jsonl").write_text(sealed.replace("Staging", "Testing"))
    refused = run_to_exit(EXAMPLE / "good", command=run_release(home, "v2"))
    assert refused.code == 1 and "release v1 was changed after it was made" in refused.output
    (home / "ledger.jsonl").write_text(sealed)

    code = home / "builds" / artifact / "app" / "app.py"
    code.write_text(code.read_text().replace("Hello from", "Hot-fixed by"))
    refused = run_to_exit(EXAMPLE / "good", command=run_release(home, "v2"))
    assert refused.code == 1 and "the artifact of v2 was changed after it was built" in (
        refused.output
    )

    deploy = Repo.clone(origin, tmp_path / "deploy").path
    bad = start_app(deploy, env={**offline_pip, **SHOP}, command=start_script(deploy))
    assert greeting(bad) == {"greeting": "Hello from the shop", "release": "unknown"}
    (deploy / "app.py").write_text((deploy / "app.py").read_text().replace("Hello", "Hot-fix"))
    bad.restart()
    assert greeting(bad)["greeting"].startswith("Hot-fix")  # runs, and nothing records it


@claim(
    "rollback",
    "Running the previous release id restores the previous behaviour exactly; a deploy that "
    "updates its code in place has no previous release to return to.",
)
def test_rollback_restores_the_previous_release(tmp_path, home, origin, offline_pip, start_app):
    """Release and run version 1, then version 2, then run version 1 again. The bad twin
    deploys version 1, restarts to take version 2, and tries to go back by checking out the
    first commit in its deploy."""
    first = release_tool(home, offline_pip, "build", origin.path, origin.head())
    release_tool(home, offline_pip, "release", first, "SITE_NAME=the shop")
    good = start_app(EXAMPLE / "good", command=run_release(home, "v1"))
    before = greeting(good)
    good.stop()

    deploy = Repo.clone(origin, tmp_path / "deploy")
    bad = start_app(deploy.path, env={**offline_pip, **SHOP}, command=start_script(deploy.path))
    bad_before = greeting(bad)
    version_1 = deploy.head()

    change_greeting(origin)
    second = release_tool(home, offline_pip, "build", origin.path, origin.head())
    release_tool(home, offline_pip, "release", second, "SITE_NAME=the shop")
    good = start_app(EXAMPLE / "good", command=run_release(home, "v2"))
    assert greeting(good) == {"greeting": "Welcome to the shop", "release": "v2"}
    good.stop()
    bad.restart()
    assert greeting(bad)["greeting"] != bad_before["greeting"]

    rolled_back = start_app(EXAMPLE / "good", command=run_release(home, "v1"))
    assert greeting(rolled_back) == before == {"greeting": "Hello from the shop", "release": "v1"}

    bad.stop()
    deploy.git("checkout", "--quiet", version_1)
    with pytest.raises(AppFailedToStart, match="You are not currently on a branch"):
        bad.start()


@claim(
    "build-at-start",
    "A start that installs and updates code is slow and not reproducible: restarting the "
    "same deploy reinstalls everything and can serve different code; starting a release "
    "does no build work and serves the same code every time.",
)
def test_start_does_no_build_work(tmp_path, home, origin, offline_pip, start_app):
    """Start and restart a release, and the bad twin's deploy, timing each start; between
    the restarts a new commit lands in the repository, and nobody deploys it."""
    artifact = release_tool(home, offline_pip, "build", origin.path, origin.head())
    release_tool(home, offline_pip, "release", artifact, "SITE_NAME=the shop")
    good = start_app(EXAMPLE / "good", command=run_release(home, "v1"))
    deploy = Repo.clone(origin, tmp_path / "deploy").path
    bad = start_app(deploy, env={**offline_pip, **SHOP}, command=start_script(deploy))
    good_first, bad_first = greeting(good), greeting(bad)
    installed = (deploy / "vendor" / "flask" / "__init__.py").stat().st_mtime_ns

    change_greeting(origin)
    good.stop()
    bad.stop()
    good_start, bad_start = timed_start(good), timed_start(bad)
    print(
        f"start of a release: {good_start:.2f} s; start that pulls and installs: {bad_start:.2f} s"
    )

    assert greeting(good) == good_first
    assert greeting(bad) != bad_first  # same deploy, different code after a restart
    assert (deploy / "vendor" / "flask" / "__init__.py").stat().st_mtime_ns != installed
    assert bad_start > 2 * good_start
