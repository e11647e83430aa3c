"""Proofs for Factor V: releases built once, sealed, and run as they are."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from proven import claim, run_to_exit
from proven.git import Repo
from proven.paths import EXAMPLES_DIR
from proven.processes import AppFailedToStart, CommandBuilder
from proven.venvs import ensure_wheels, read_requirements

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
    """The command a platform runs to start one release: `release.py run <id>`.

    Without the harness's PYTHONDONTWRITEBYTECODE, as an operator's shell runs it: the
    tool itself must keep the app from writing bytecode into its artifact.
    """
    return lambda example, port: [
        *("env", "-u", "PYTHONDONTWRITEBYTECODE", sys.executable, str(TOOL), "--home", str(home)),
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


def tree_hash(tree: Path) -> str:
    """SHA-256 over every file's path, executable bit and bytes: the artifact's documented name."""
    digest = hashlib.sha256()
    for path in sorted(p for p in tree.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        executable = "x" if os.access(path, os.X_OK) else "-"
        digest.update(f"{path.relative_to(tree).as_posix()}\0{executable}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def package_name(name: str) -> str:
    """A package's name as installers compare them: lower case, any run of `-_.` as `-`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_packages(requirements: Path) -> list[str]:
    """The names pinned in a requirements file, normalised and sorted."""
    return sorted(package_name(line.partition("==")[0]) for line in read_requirements(requirements))


def installed_packages(vendor: Path) -> dict[str, Path]:
    """Each package installed in a `--target` folder, by normalised name: its `.dist-info`."""
    return {
        package_name(info.name.removesuffix(".dist-info").rpartition("-")[0]): info
        for info in vendor.glob("*.dist-info")
    }


def file_times(tree: Path) -> dict[str, int]:
    """Every file of a folder and when it was last written: unchanged times, no work done."""
    return {p.relative_to(tree).as_posix(): p.stat().st_mtime_ns for p in tree.rglob("*")}


@claim(
    "build-release-ledger",
    "Build turns a commit into an artifact named by its content hash; a release pairs it "
    "with config under a new id in an append-only ledger; a release changed afterwards, "
    "in its config or its code, refuses to run. A deploy that builds at start serves a "
    "hand edit of its code on the next restart, under no release id.",
)
def test_releases_are_sealed(tmp_path, home, origin, offline_pip, start_app, observe):
    """Build one commit twice, release it twice with different config, run a release; then
    change a release by hand, in its ledger entry and in its artifact's code, and run it
    again. Do the same hand edit in the bad twin's deploy and restart it."""
    artifact = release_tool(home, offline_pip, "build", origin.path, origin.head())
    rebuilt = release_tool(home, offline_pip, "build", origin.path, origin.head())
    content = tree_hash(home / "builds" / artifact)

    first = release_tool(home, offline_pip, "release", artifact, "SITE_NAME=Staging")
    ledger = (home / "ledger.jsonl").read_text()
    second = release_tool(home, offline_pip, "release", artifact, "SITE_NAME=Production")
    appended = (home / "ledger.jsonl").read_text()

    good = start_app(EXAMPLE / "good", command=run_release(home, "v2"))
    served = greeting(good)
    good.stop()

    (home / "ledger.jsonl").write_text(appended.replace("Staging", "Testing"))
    config_edit = run_to_exit(EXAMPLE / "good", command=run_release(home, "v1"))
    (home / "ledger.jsonl").write_text(appended)
    code = home / "builds" / artifact / "app" / "app.py"
    code.write_text(code.read_text().replace("Hello from", "Hot-fixed by"))
    code_edit = run_to_exit(EXAMPLE / "good", command=run_release(home, "v2"))

    deploy = Repo.clone(origin, tmp_path / "deploy").path
    bad = start_app(deploy, env={**offline_pip, **SHOP}, command=start_script(deploy))
    bad_before = greeting(bad)
    (deploy / "app.py").write_text((deploy / "app.py").read_text().replace("Hello", "Hot-fix"))
    bad.restart()
    bad_after = greeting(bad)
    observe(
        bad=f"served {bad_before['greeting']!r}; after a hand edit and a restart it served "
        f"{bad_after['greeting']!r}, release {bad_after['release']!r}",
        good=f"artifact {artifact[:12]}… (same name from two builds: {rebuilt == artifact}); "
        f"releases {first}, {second}; edited config: exit {config_edit.code}; "
        f"edited code: exit {code_edit.code}",
    )

    assert rebuilt == artifact == content  # the name is the hash of what the artifact holds
    assert (home / "builds" / artifact / "vendor" / "flask").is_dir()
    assert (first, second) == ("v1", "v2")
    assert appended.startswith(ledger) and appended.count("\n") == 2  # v2 appended, v1 untouched
    assert served == {"greeting": "Hello from Production", "release": "v2"}
    assert config_edit.code == 1
    assert "release v1 was changed after it was made" in config_edit.output
    assert code_edit.code == 1
    assert "the artifact of v2 was changed after it was built" in code_edit.output

    assert bad_before == {"greeting": "Hello from the shop", "release": "unknown"}
    assert bad_after == {"greeting": "Hot-fix from the shop", "release": "unknown"}


@claim(
    "rollback",
    "Running the previous release id restores the previous behaviour exactly; a deploy that "
    "updates its code in place has no previous release to return to: checked out at the "
    "previous commit it fails to start, and with its branch reset to that commit it starts "
    "the newer version again.",
)
def test_rollback_restores_the_previous_release(
    tmp_path, home, origin, offline_pip, start_app, observe
):
    """Release and run version 1, then version 2, then run version 1 again. The bad twin
    deploys version 1, restarts to take version 2, and tries to go back twice: by checking
    out the first commit in its deploy, then by resetting its branch to that commit."""
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
    updated = greeting(good)
    good.stop()
    bad.restart()
    bad_updated = greeting(bad)

    rolled_back = greeting(start_app(EXAMPLE / "good", command=run_release(home, "v1")))

    bad.stop()
    deploy.git("checkout", "--quiet", version_1)
    with pytest.raises(AppFailedToStart, match="You are not currently on a branch") as failed:
        bad.start()
    branch = "main"  # the branch the deploy was cloned on, which tracks the repository's
    deploy.git("checkout", "--quiet", "-B", branch, version_1)
    bad.start()
    bad_reset = greeting(bad)
    observe(
        bad=f"served {bad_before['greeting']!r}, then {bad_updated['greeting']!r}; restarted "
        f"with the first commit checked out: {failed.type.__name__} (not on a branch); with "
        f"{branch} reset to it: {bad_reset['greeting']!r}",
        good=f"v1 served {before['greeting']!r}, v2 {updated['greeting']!r}, v1 again "
        f"{rolled_back['greeting']!r}; identical answers: {rolled_back == before}",
    )

    assert updated == {"greeting": "Welcome to the shop", "release": "v2"}
    assert bad_updated["greeting"] != bad_before["greeting"]
    assert rolled_back == before == {"greeting": "Hello from the shop", "release": "v1"}
    assert bad_reset == bad_updated == {"greeting": "Welcome to the shop", "release": "unknown"}


@claim(
    "build-at-start",
    "A start that installs and updates code is slow and not reproducible: restarting the "
    "same deploy reinstalls every pinned package and can serve different code; starting a "
    "release and restarting it write no file into its build and serve the same code.",
)
@pytest.mark.alone  # compares the timings of two runs: no other test runs meanwhile
def test_start_does_no_build_work(tmp_path, home, origin, offline_pip, start_app, observe):
    """Start and restart a release, and the bad twin's deploy, timing each start; between
    the restarts a new commit lands in the repository, and nobody deploys it."""
    artifact = release_tool(home, offline_pip, "build", origin.path, origin.head())
    release_tool(home, offline_pip, "release", artifact, "SITE_NAME=the shop")
    builds = file_times(home / "builds")
    good = start_app(EXAMPLE / "good", command=run_release(home, "v1"))
    deploy = Repo.clone(origin, tmp_path / "deploy").path
    bad = start_app(deploy, env={**offline_pip, **SHOP}, command=start_script(deploy))
    good_first, bad_first = greeting(good), greeting(bad)
    pinned = pinned_packages(EXAMPLE / "good" / "requirements.txt")
    packages = installed_packages(deploy / "vendor")
    installed = {name: info.stat().st_mtime_ns for name, info in packages.items()}

    change_greeting(origin)
    good.stop()
    bad.stop()
    good_start, bad_start = timed_start(good), timed_start(bad)
    good_again, bad_again = greeting(good), greeting(bad)
    reinstalled = sorted(
        name
        for name, info in installed_packages(deploy / "vendor").items()
        if info.stat().st_mtime_ns != installed.get(name)
    )
    rewritten = [
        name for name, written in file_times(home / "builds").items() if builds.get(name) != written
    ]
    observe(
        bad=f"restart took {bad_start:.2f} s, reinstalled {len(reinstalled)} of the "
        f"{len(pinned)} pinned packages, served {bad_again['greeting']!r} "
        f"(before: {bad_first['greeting']!r})",
        good=f"restart took {good_start:.2f} s; the start and the restart wrote {len(rewritten)} "
        f"files into the builds (which held {len(builds)}), "
        f"served {good_again['greeting']!r} again",
    )

    assert good_again == good_first
    assert rewritten == [], rewritten  # neither start of the release wrote into its build
    assert bad_again != bad_first  # same deploy, different code after a restart
    assert len(pinned) == 9 and sorted(packages) == pinned  # the first start installed each pin
    assert reinstalled == pinned, reinstalled  # and the restart installed every one again
    # A timing ratio: on a machine crowded by other runs it can flake; the message says so.
    assert bad_start > 2 * good_start, (
        f"start that installs took {bad_start:.2f} s, the release {good_start:.2f} s: less than "
        f"twice as long (is the machine busy?)"
    )
