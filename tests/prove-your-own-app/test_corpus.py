"""`proven check` on apps no one here wrote: the corpus in tests/prove-your-own-app/corpus/.

Each app has a folder with its `proven.toml` (how a team would describe it to
the kit) and its `verdicts.toml`: where the app comes from, and for each of the
nine checks the verdict a correct kit gives and why (`shows`, where given, is a
pattern that the check's observation must match, so that a right verdict
reached for a wrong reason still fails). The kit runs once per app and test
run, as a team runs it (`python -m proven check --config proven.toml`), and
each check's verdict is a test of its own. The table on the page "Prove your
own app" is written from the `verdicts.toml` files, so each of its cells is a
result this proof asserts.

The apps are installed at pinned versions: the Python ones into one virtual
environment (`corpus/requirements.txt`), the Node ones with `npm ci`
(`corpus/package-lock.json`). Each is built once and kept under a hash of its
pins, beside the harness's wheel cache, so a run whose pins have not changed
installs nothing. The apps find their servers on `PATH`, as in a team's own
shell with its virtualenv active.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from proven.check.checks import CHECKS, FAIL, NOT_APPLICABLE, PASS
from proven.observations import UPDATE_OPTION
from proven.paths import TESTS_DIR
from proven.services import REQUIRE_SERVICES
from proven.venvs import WHEEL_CACHE, make_venv

CORPUS = TESTS_DIR / "prove-your-own-app" / "corpus"
"""One folder per app, beside the pins of all of them."""

REQUIREMENTS = CORPUS / "requirements.txt"
"""The Python apps and everything they import, pinned."""

NODE_PINS = (CORPUS / "package.json", CORPUS / "package-lock.json")
"""The Node apps and everything they import, pinned."""

ENVIRONMENTS = WHEEL_CACHE.parent / "corpus"
"""Where the installed apps are kept between runs, one folder per hash of their pins."""

TABLE = TESTS_DIR / "prove-your-own-app" / "corpus-table.md"
"""The generated table of apps × checks, included by docs/prove-your-own-app.md."""

KIT_TIMEOUT = 300.0
"""Seconds one full `proven check` of an app may take before the proof gives up."""

VERDICTS = (PASS, FAIL, NOT_APPLICABLE)

EXIT = "exit-status"
"""The kit's exit status, asserted beside the app's checks (1 when one fails, else 0)."""


@dataclass(frozen=True)
class Verdict:
    """What a correct kit says for one check of one app, and why."""

    status: str
    why: str
    shows: str | None = None
    """A regular expression the check's observation must match, if any."""


@dataclass(frozen=True)
class CorpusApp:
    """An app of the corpus: its folder, where it comes from, and its nine verdicts."""

    name: str
    folder: Path
    about: dict[str, str]
    verdicts: dict[str, Verdict]

    @classmethod
    def load(cls, folder: Path) -> CorpusApp:
        """Read `folder/verdicts.toml`."""
        data = tomllib.loads((folder / "verdicts.toml").read_text())
        verdicts = {
            check: Verdict(facts["verdict"], facts["why"], facts.get("shows"))
            for check, facts in data.get("checks", {}).items()
        }
        return cls(folder.name, folder, data.get("app", {}), verdicts)

    @property
    def anchor(self) -> str:
        """The id of the app's heading on the page."""
        return f"corpus-{self.name}"

    def exit_status(self) -> int:
        """What `proven check` must exit with: 1 when a check fails, else 0."""
        return 1 if any(v.status == FAIL for v in self.verdicts.values()) else 0


APPS = [CorpusApp.load(folder) for folder in sorted(CORPUS.iterdir()) if folder.is_dir()]


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (a file made for it): one worker at a time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def digest(*parts: bytes) -> str:
    """A short hash of `parts`: the name of an environment built from them."""
    found = hashlib.sha256()
    for part in parts:
        found.update(hashlib.sha256(part).digest())
    return found.hexdigest()[:16]


def built_once(kind: str, key: str, build: Callable[[Path], None]) -> Path:
    """The folder `ENVIRONMENTS/<kind>-<key>`, built by `build(folder)` unless it already was.

    A lock keeps two workers from building it at once, and a marker written last
    tells a finished build from one that was interrupted (which is built again).
    """
    folder = ENVIRONMENTS / f"{kind}-{key}"
    done = folder / ".complete"
    with locked(ENVIRONMENTS / f"{kind}-{key}.lock"):
        if not done.is_file():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            build(folder)
            done.touch()
    return folder


def python_bin() -> Path:
    """The `bin` folder of the virtual environment that holds every Python app of the corpus."""
    key = digest(REQUIREMENTS.read_bytes(), sys.version.encode(), sys.base_prefix.encode())
    folder = built_once("python", key, lambda into: make_venv(into / "env", REQUIREMENTS))
    return folder / "env" / "bin"


def node_bin() -> Path:
    """The `node_modules/.bin` folder that holds every Node app of the corpus.

    Skipped (failed under `REQUIRE_SERVICES=1`) when Node.js or npm is missing.
    """
    if shutil.which("node") is None or shutil.which("npm") is None:
        reason = "Node.js or npm not found: apt-get install nodejs npm (.ci/run does)"
        if os.environ.get(REQUIRE_SERVICES) == "1":
            pytest.fail(f"{reason} ({REQUIRE_SERVICES}=1 turns this skip into a failure)")
        pytest.skip(reason)
    version = subprocess.run(["node", "--version"], capture_output=True, check=True).stdout

    def install(folder: Path) -> None:
        for pins in NODE_PINS:
            shutil.copy(pins, folder / pins.name)
        subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=folder,
            check=True,
            capture_output=True,
        )

    key = digest(*(pins.read_bytes() for pins in NODE_PINS), version)
    return built_once("node", key, install) / "node_modules" / ".bin"


@dataclass(frozen=True)
class KitRun:
    """One `proven check` of an app: its exit status, what it printed, and each check's result."""

    returncode: int
    output: str
    results: dict[str, dict[str, Any]]


def run_kit(app: CorpusApp, path: str, report: Path) -> KitRun:
    """Run `python -m proven check --config proven.toml` in the app's folder, with `PATH`.

    A run that outlasts `KIT_TIMEOUT` gets SIGTERM, on which the kit ends what it
    started (SIGKILL a minute later), and is reported with exit status -1.
    """
    kit = subprocess.Popen(
        [sys.executable, "-m", "proven", "check", "--config", "proven.toml"]
        + ["--json", str(report)],
        cwd=app.folder,
        env={**os.environ, "PATH": path},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = kit.communicate(timeout=KIT_TIMEOUT)
        returncode = kit.returncode
    except subprocess.TimeoutExpired:
        kit.terminate()
        try:
            output, _ = kit.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            kit.kill()
            output, _ = kit.communicate()
        output += f"\n(the kit did not finish within {KIT_TIMEOUT:g} s)"
        returncode = -1
    found = json.loads(report.read_text())["results"] if report.is_file() else []
    return KitRun(returncode, output[-4000:], {result["check"]: result for result in found})


@pytest.fixture(scope="session")
def kit_on(run_dir: Path) -> Callable[[CorpusApp], KitRun]:
    """`kit_on(app)`: the kit's run on `app`, made once per test run by whichever worker asks
    first (the others wait for it, then read it)."""

    def get(app: CorpusApp) -> KitRun:
        saved = run_dir / f"corpus-{app.name}.json"
        with locked(run_dir / f"corpus-{app.name}.lock"):
            if not saved.is_file():
                servers = node_bin() if app.about["runtime"] == "node" else python_bin()
                path = f"{servers}{os.pathsep}{os.environ.get('PATH', '')}"
                run = run_kit(app, path, run_dir / f"corpus-{app.name}-report.json")
                saved.write_text(json.dumps(asdict(run)))
        return KitRun(**json.loads(saved.read_text()))

    return get


@pytest.mark.parametrize(
    ("app", "check"),
    [
        pytest.param(app, check, id=f"{app.name}-{check}")
        for app in APPS
        for check in (*CHECKS, EXIT)
    ],
)
def test_kit_on_app(app: CorpusApp, check: str, kit_on: Callable[[CorpusApp], KitRun]):
    """The kit gives each check the verdict the app's `verdicts.toml` says, for its reason,
    and exits 1 when one of them fails, else 0.

    An app's cells are neighbours in the order of the tests, so that under `-n` one
    worker runs them and the others seldom wait for its run of the kit.
    """
    run = kit_on(app)
    if check == EXIT:
        assert run.returncode == app.exit_status(), run.output
        return
    right = app.verdicts[check]
    found = run.results.get(check)
    assert found is not None, f"{app.name}: no {check} (exit {run.returncode}):\n{run.output}"
    said = f"{app.name} {check}: {found['status']}, {found['observed']}\nright: {right.status}"
    assert found["status"] == right.status, f"{said}, because {right.why}"
    if right.shows:
        assert re.search(right.shows, found["observed"]), f"{said}, showing {right.shows!r}"


@pytest.mark.parametrize("app", APPS, ids=lambda app: app.name)
def test_app_says_where_it_comes_from_and_why(app: CorpusApp):
    """Each app has a `proven.toml`, where it comes from, and a verdict with a reason for
    every check."""
    where = f"{app.folder.relative_to(TESTS_DIR.parent)}/verdicts.toml"
    assert (app.folder / "proven.toml").is_file(), f"{app.folder}: no proven.toml"
    keys = {"name", "what", "framework", "language", "licence", "source", "runtime"}
    assert keys <= set(app.about), f"{where}: [app] needs {sorted(keys - set(app.about))}"
    assert app.about["runtime"] in {"python", "node"}, f"{where}: runtime is python or node"
    assert set(app.verdicts) == set(CHECKS), f"{where}: [checks.<id>] for each of {list(CHECKS)}"
    for check, right in app.verdicts.items():
        assert right.status in VERDICTS, f"{where}: {check}'s verdict is one of {VERDICTS}"
        assert right.why.strip(), f"{where}: {check} needs a why"
        if right.shows:
            re.compile(right.shows)


def test_corpus_is_wide_enough():
    """At least five apps, on at least three frameworks or languages."""
    frameworks = {app.about["framework"].split()[0] for app in APPS}
    assert len(APPS) >= 5 and len(frameworks) >= 3, frameworks


MARKS = {PASS: "✓ pass", FAIL: "✗ fail", NOT_APPLICABLE: "– n/a"}


def app_section(app: CorpusApp) -> list[str]:
    """An app's part of the page: its heading, where it comes from, how it is run, and why."""
    options = tomllib.loads((app.folder / "proven.toml").read_text())
    asked = [f"`{options[key]}`" for key in ("write", "read", "slow") if key in options]
    run = f"Started with `{options['start']}`"
    if "setup" in options:
        run += ", after a setup command"
    if options.get("required"):
        run += ", and must not start without " + ", ".join(f"`{n}`" for n in options["required"])
    lines = [
        f"### {app.about['name']} {{#{app.anchor}}}",
        "",
        f"{app.about['what'][0].upper()}{app.about['what'][1:]}. {app.about['framework']} "
        f"({app.about['language']}). Source: {app.about['source']}. Licence: "
        f"{app.about['licence']}. {run}; it is asked {', '.join(asked)}.",
        "",
        f'??? info "Why each verdict on {app.about["name"]}"',
        "",
        "    | Check | Verdict | Why |",
        "    | --- | --- | --- |",
    ]
    for check in CHECKS:
        right = app.verdicts[check]
        lines.append(f"    | `{check}` | {MARKS[right.status]} | {right.why} |")
    return [*lines, ""]


def render_table(apps: list[CorpusApp]) -> str:
    """The Markdown of the page's corpus section: the apps × checks table, then each app."""
    lines = [
        f"<!-- Generated by {Path(__file__).relative_to(TESTS_DIR.parent)} from "
        f"corpus/*/verdicts.toml: .venv/bin/pytest tests/prove-your-own-app {UPDATE_OPTION} -->",
        "",
        "| Check | " + " | ".join(f"[{a.about['name']}](#{a.anchor})" for a in apps) + " |",
        "| --- |" + " --- |" * len(apps),
    ]
    for check in CHECKS:
        cells = " | ".join(MARKS[app.verdicts[check].status] for app in apps)
        lines.append(f"| `{check}` | {cells} |")
    lines.append("")
    for app in apps:
        lines += app_section(app)
    return "\n".join(lines)


def test_table_is_current(pytestconfig: pytest.Config):
    """The committed table is the one the `verdicts.toml` files give (`--update-observations`
    rewrites it, as it stores the claims' observations)."""
    table = render_table(APPS)
    if pytestconfig.getoption(UPDATE_OPTION):
        TABLE.write_text(table)
    command = f".venv/bin/pytest tests/prove-your-own-app {UPDATE_OPTION}"
    assert TABLE.is_file(), f"{TABLE} is missing: run {command}"
    assert TABLE.read_text() == table, f"{TABLE} is stale: run {command}"
