"""The kit's own proof: `proven check` on every example twin of the site.

Each pair's `scenario.toml` has a `[check]` table, written as a `proven.toml`
(how to start the twins, the write and read requests; the required settings
are the pair's own `required`), plus `checks` (which checks the pair gets), `bad_fails` (those the
bad twin fails: its lesson) or `lesson = "none: why"` when no HTTP-level check
can see the lesson. Run on the good twin, every named check passes; run on
the bad twin, exactly the checks of `bad_fails` fail. The table on the page
"Prove your own app" is written from these tables, so each of its cells is
a result this proof asserts.
"""

from __future__ import annotations

import os
import secrets
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

from proven.check.checks import CHECKS, FAIL, PASS, Runner, run_check
from proven.check.target import Target, target_from_mapping
from proven.observations import UPDATE_OPTION
from proven.paths import TESTS_DIR
from proven.scenarios import Scenario, scenarios

DEFAULT_START = "gunicorn --bind 127.0.0.1:$PORT app:app"
"""How a twin starts when its `[check]` table names no `start`: gunicorn, as the Procfiles do."""

TWINS = ("bad", "good")

KIT_KEYS = ("lesson", "bad_fails")
"""Keys of a `[check]` table that are about the proof, not the app (not `proven.toml` keys)."""

TABLE = TESTS_DIR / "prove-your-own-app" / "twins-table.md"
"""The generated table of twins × checks, included by docs/prove-your-own-app.md."""


PAIRS = scenarios()
CHECKED = [
    (pair, twin)
    for pair in PAIRS
    if pair.check.get("checks")
    for twin in (TWINS if pair.check.get("bad_fails") else ("good",))
]
"""Every good twin with checks, and the bad twins whose lesson a check sees."""


def per_twin(value: Any, twin: str) -> Any:
    """A `[check]` value that may differ per twin: `start = { bad = "python app.py" }`."""
    return value.get(twin) if isinstance(value, dict) else value


def expected(pair: Scenario, twin: str) -> dict[str, str]:
    """What the proof asserts for a twin: each named check's outcome."""
    failing = set(pair.check.get("bad_fails", [])) if twin == "bad" else set()
    return {check: FAIL if check in failing else PASS for check in pair.check["checks"]}


def target_for(pair: Scenario, twin: str, values: dict[str, str]) -> Target:
    """The twin as `proven check` sees it: its folder, start command and environment."""
    table = {key: value for key, value in pair.check.items() if key not in KIT_KEYS}
    table["start"] = per_twin(table.get("start"), twin) or DEFAULT_START
    table["required"] = list(pair.required)
    # The pair's own set-up command (scenario.toml's `setup`) unless the table says otherwise
    # for a twin (`setup = { bad = false }`: that twin does without).
    setup = per_twin(table.get("setup", True), twin)
    table["setup"] = None
    if setup is True and pair.setup:
        table["setup"] = shlex.join(pair.setup_command(Path("."), 0))
    elif isinstance(setup, str):
        table["setup"] = setup
    unfilled = {name: "" for name in pair.placeholders() - {"examples"}}
    env = {**pair.environment({**unfilled, **values}), **table.get("env", {})}
    # The twins' servers (gunicorn, flask, python) are the ones of this test run's venv.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    table["env"] = env
    return target_from_mapping(table, pair.folder / twin)


def fill(pair: Scenario, request: pytest.FixtureRequest) -> dict[str, str]:
    """Values for the pair's placeholders: this run's services, or a fresh secret."""
    values = {"secret": secrets.token_hex(32)}
    for name in pair.placeholders() & {"redis_url", "database_url"}:
        values[name] = request.getfixturevalue(name)
    return values


@pytest.mark.parametrize(("pair", "twin"), CHECKED, ids=lambda p: getattr(p, "name", p))
def test_kit_on_twin(pair: Scenario, twin: str, request: pytest.FixtureRequest):
    """`proven check` with the pair's `[check]` table: good passes, bad fails its lesson."""
    target = target_for(pair, twin, fill(pair, request))
    with Runner(target) as runner:
        runner.setup()
    results = {}
    for check in pair.check["checks"]:
        with Runner(target) as runner:
            results[check] = run_check(check, runner)
    found = {check: result.status for check, result in results.items()}
    seen = "\n".join(f"{r.status} {r.check}: {r.observed}" for r in results.values())
    assert found == expected(pair, twin), f"{pair.name}/{twin}:\n{seen}"


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.name)
def test_every_pair_says_what_the_kit_proves(pair: Scenario):
    """A `[check]` table names the checks its bad twin fails, or why no check sees its lesson."""
    table = pair.check
    where = f"examples/{pair.name}/scenario.toml"
    assert table, (
        f"{where} has no [check] table: add one at the end of the file, naming the checks "
        'the bad twin fails (checks = ["binds-port"] and bad_fails = ["binds-port"]), or '
        'why none can (checks = ["binds-port"] and lesson = "none: <why>"); see '
        "tests/prove-your-own-app/test_twins.py"
    )
    unknown = sorted(set(table.get("checks", [])) - set(CHECKS))
    assert not unknown, f"{where}: [check] names unknown checks {unknown}; known: {list(CHECKS)}"
    fails = table.get("bad_fails", [])
    assert set(fails) <= set(table.get("checks", [])), f"{where}: bad_fails must be in checks"
    lesson = str(table.get("lesson", ""))
    assert bool(fails) != lesson.startswith("none: "), (
        f'{where}: [check] needs either bad_fails = ["<check>", ...] (the lesson the kit sees) '
        'or lesson = "none: <why no HTTP-level check can see it>", not both'
    )


def outcomes(pair: Scenario, twin: str) -> str:
    """One cell of the table: each check the twin gets, marked ✓ (passes) or ✗ (fails)."""
    if (pair, twin) not in CHECKED:
        return "not run"
    marks = {PASS: "✓", FAIL: "✗"}
    found = expected(pair, twin)
    return ", ".join(f"{marks[found[check]]} `{check}`" for check in found)


def render_table(pairs: list[Scenario]) -> str:
    """The Markdown table of pairs: what the kit finds on each bad and good twin."""
    lines = [
        f"<!-- Generated by {Path(__file__).relative_to(TESTS_DIR.parent)}: "
        f".venv/bin/pytest tests/prove-your-own-app {UPDATE_OPTION} -->",
        "",
        "| Pair | Bad twin | Good twin |",
        "| --- | --- | --- |",
    ]
    unseen = []
    for pair in pairs:
        if not pair.check.get("bad_fails"):
            unseen.append(f"- **{pair.name}**: {str(pair.check['lesson']).removeprefix('none: ')}.")
        slug, scenario = pair.name.split("/")
        bad, good = outcomes(pair, "bad"), outcomes(pair, "good")
        lines.append(f"| [{slug}]({slug}.md) / {scenario} | {bad} | {good} |")
    why = "The bad twins not run, and why no check sees their lesson:"
    lines += ["", why, "", *unseen]
    return "\n".join(lines) + "\n"


def test_table_is_current(pytestconfig: pytest.Config):
    """The committed table is the one the `[check]` tables give (`--update-observations`
    rewrites it, as it stores the claims' observations)."""
    table = render_table(PAIRS)
    if pytestconfig.getoption(UPDATE_OPTION):
        TABLE.write_text(table)
    # This test alone rewrites the table in about 2 s (the whole kit proof is not needed).
    command = ".venv/bin/pytest tests/prove-your-own-app/test_twins.py::test_table_is_current"
    command += f" {UPDATE_OPTION}"
    assert TABLE.is_file(), f"{TABLE} is missing: run {command}"
    assert TABLE.read_text() == table, f"{TABLE} is stale: run {command}"
