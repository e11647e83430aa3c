"""A contributor's check for one pair or one page, in CI's order.

Usage::

    .venv/bin/python -m tools.check processes/last-seen   # one pair
    .venv/bin/python -m tools.check processes             # one page
    .venv/bin/python -m tools.check --ci processes        # with what .ci/run sets

It first rewrites the kit's twins table (`TWINS_TABLE`) from the pairs'
`[check]` tables, as a new pair needs (about 2 s), and says so when that changed
it. Then it runs, each step timed, and goes on after a failing step:

1. the proofs of the pair (every proof module that names it, as `tools.swap_check`
   finds them) or of the page (`tests/<slug>/`), plus the pair's or page's
   parametrized tests elsewhere (good examples, hostile input, soak, the kit's
   twins), selected by node id, never by `-k` substring;
2. every all-pairs test (`ALL_PAIRS_TESTS`): structure, claims, observations,
   the twins table, soak and hostile registration; and the strict site build;
3. the swap check of the pair or page (`tools.swap_check`);
4. lint (`ruff check .` and `ruff format --check .`).

It exits 1 if any step failed, and ends with the files git does not have yet
(CI runs on a clean clone: what is not committed is not checked there) and with
what `.ci/run` does beyond it (see `CI_BEYOND`).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from proven.layout import ROOT, example_pairs, proofs_of

PYTHON = ".venv/bin/python"

COMMAND = f"{PYTHON} -m tools.check"
"""The one command that CONTRIBUTING's quick start, the scaffold's "Next" list and
the PR template name (tests/site/test_contributor_check.py checks that they do)."""

TWINS_TABLE_TEST = "tests/prove-your-own-app/test_twins.py::test_table_is_current"
"""Its `--update-observations` rewrites a stale twins table (about 2 s)."""

TWINS_TABLE = ROOT / "tests" / "prove-your-own-app" / "twins-table.md"
"""The kit's table of every pair, a row each: the check rewrites it before its steps."""

ALL_PAIRS_TESTS: tuple[str, ...] = (
    "tests/site/test_structure.py",
    "tests/site/test_claims.py",
    "tests/site/test_observations.py",
    TWINS_TABLE_TEST,
    "tests/soak/test_soak.py::test_every_soak_table_is_soak_or_says_why_not",
    "tests/soak/test_soak.py::test_every_stateful_good_example_is_soaked",
    "tests/hostile/test_hostile_input.py::test_every_good_example_declares_its_endpoints",
    "tests/hostile/test_hostile_input.py::test_every_left_out_example_says_why",
    "tests/test_good_examples.py::test_every_good_twin_says_what_it_requires",
    "tests/test_good_examples.py::test_every_good_twin_stops_at_start_every_way",
)
"""Tests that check every pair at once; a new pair can break any of them."""

SITE_TESTS: tuple[str, ...] = ("tests/site/test_build.py",)
"""The strict MkDocs build (about 10 s): a new page section can break it."""

PARAMETRIZED_TESTS: tuple[str, ...] = (
    "tests/test_good_examples.py",
    "tests/hostile",
    "tests/soak",
    "tests/prove-your-own-app/test_twins.py",
)
"""Where tests parametrized by pair live; the check keeps those of its pair or page."""

CI_BEYOND: tuple[str, ...] = (
    "the whole suite (README's test command, `pytest -n auto`) with REQUIRE_SERVICES=1",
    "with CI=true: the soak's short budget and derandomized hypothesis (`--ci` sets it)",
    "the site built with Zensical too, compared with MkDocs's build; the browser checks",
    "the backing-services, identity and migration proofs again on the PyPI servers",
    "the swap check of every pair, then Netlify's build from docs/requirements.txt",
    "a check that no process of the proofs outlived them",
)
"""What `.ci/run` does beyond this check (read .ci/run for the details)."""

CONTRIBUTOR_STEPS: tuple[tuple[str, str], ...] = (
    ("pytest tests/site/test_structure.py -q", "lists what is left to write"),
    (
        "pytest -n auto tests/{slug} --update-observations",
        "the page's proofs; stores what they saw",
    ),
    (
        "python -m tools.check {slug}/{scenario}",
        "the pair's check, in CI's order; adds its row to the twins table",
    ),
    ("python -m tools.check {slug}", "before the pull request: the page's check"),
    ("mkdocs serve", "look at the page"),
)
"""A new pair's steps after the scaffold, the one source of the scaffold's "Next" list,
CONTRIBUTING's quick start and the PR template (tests/site/test_contributor_check.py)."""


def contributor_steps(slug: str, scenario: str) -> list[tuple[str, str]]:
    """`CONTRIBUTOR_STEPS` for one pair: each command (run from the venv) and what it does."""
    return [
        (".venv/bin/" + command.format(slug=slug, scenario=scenario), what)
        for command, what in CONTRIBUTOR_STEPS
    ]


TWIN_SUFFIX = re.compile(r"[-/](good|bad)$")


@dataclass
class Step:
    """One step of the check: its name, its commands and, once run, its outcome."""

    name: str
    commands: list[list[str]]
    seconds: float = 0.0
    code: int = 0


def parametrized_ids(paths: tuple[str, ...], wanted: str) -> list[str]:
    """Node ids under `paths` whose pair parameter is the pair `wanted` or on its page."""
    collected = subprocess.run(
        [PYTHON, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *paths],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    ids = []
    for line in collected.stdout.splitlines():
        match = re.fullmatch(r"(\S+::\S+)\[(.+)\]", line.strip())
        if not match:
            continue
        pair = TWIN_SUFFIX.sub("", match.group(2))
        if pair == wanted or ("/" not in wanted and pair.split("/")[0] == wanted):
            ids.append(line.strip())
    return ids


def proof_targets(target: str) -> list[str]:
    """The page's test folder, or the proof modules that name the pair."""
    if "/" not in target:
        return [f"tests/{target}"]
    files = {proof.node_id.split("::")[0] for proof in proofs_of(target)}
    return sorted(files)


def steps_for(target: str) -> list[Step]:
    """The check's steps for a pair (`slug/scenario`) or a page (`slug`), in CI's order."""
    pytest = [PYTHON, "-m", "pytest", "-n", "auto", "-q"]
    selected = proof_targets(target) + parametrized_ids(PARAMETRIZED_TESTS, target)
    return [
        Step(f"proofs and tests of {target}", [pytest + selected]),
        Step("all-pairs tests, strict build", [pytest + list(ALL_PAIRS_TESTS + SITE_TESTS)]),
        Step(f"swap check of {target}", [[PYTHON, "-m", "tools.swap_check", target]]),
        Step("lint", [["ruff", "check", "."], ["ruff", "format", "--check", "."]]),
    ]


def update_twins_table(env: dict[str, str]) -> bool:
    """Rewrite the twins table from the pairs' `[check]` tables; True if that changed it."""
    before = TWINS_TABLE.read_bytes() if TWINS_TABLE.is_file() else b""
    command = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", TWINS_TABLE_TEST]
    subprocess.run([*command, "--update-observations"], cwd=ROOT, env=env, capture_output=True)
    return TWINS_TABLE.is_file() and TWINS_TABLE.read_bytes() != before


def not_committed() -> list[str]:
    """`git status --short` lines: what a clean clone, as CI makes, would not have."""
    status = subprocess.run(
        ["git", "status", "--short", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return status.stdout.splitlines() if status.returncode == 0 else []


def run(step: Step, env: dict[str, str]) -> None:
    """Run a step's commands (all of them, even after one fails), timing them."""
    started = time.monotonic()
    for command in step.commands:
        if command[0] == "ruff":
            command = [str(Path(PYTHON).parent / "ruff"), *command[1:]]
        shown = " ".join(command if len(command) < 12 else [*command[:11], "..."])
        print(f"check: {step.name}: {shown}", flush=True)
        code = subprocess.run(command, cwd=ROOT, env=env).returncode
        step.code = step.code or code
    step.seconds = time.monotonic() - started
    print(f"check: {step.name} took {step.seconds:.0f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run every step, print a summary; 1 if a step failed."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.check", description=__doc__.split("\n")[0]
    )
    parser.add_argument("target", help="a pair (slug/scenario) or a page (slug)")
    parser.add_argument(
        "--ci", action="store_true", help="set what .ci/run sets: CI=true, REQUIRE_SERVICES=1"
    )
    args = parser.parse_args(argv)
    target = args.target.strip("/")
    names = {pair.name for pair in example_pairs()}
    if target not in names and not any(name.startswith(target + "/") for name in names):
        print(f"check: {target} is neither a pair nor a page with examples under examples/")
        return 2
    env = dict(os.environ)
    if args.ci:
        env.update(CI="true", REQUIRE_SERVICES="1")
    started = time.monotonic()
    table = TWINS_TABLE.relative_to(ROOT)
    if update_twins_table(env):
        print(f"check: rewrote {table} from the pairs' [check] tables: commit it", flush=True)
    steps = steps_for(target)
    for step in steps:
        run(step, env)
    mode = " (--ci)" if args.ci else ""
    print(f"\ncheck: {target}{mode}, {time.monotonic() - started:.0f} s in all")
    for step in steps:
        print(f"  {'ok    ' if step.code == 0 else 'FAILED'} {step.seconds:5.0f} s  {step.name}")
    print("CI (.ci/run) does more, beyond this check:")
    for line in CI_BEYOND:
        print(f"  - {line}")
    uncommitted = not_committed()
    if uncommitted:
        print("CI checks a clean clone: commit these, or it will not see them (git status):")
        print("\n".join(f"  {line}" for line in uncommitted))
    failed = [step for step in steps if step.code]
    slug = target.split("/")[0]
    if failed:
        print(f"check: {len(failed)} of {len(steps)} steps failed. A common fix:")
        print(f"  stale observations: .venv/bin/pytest tests/{slug} --update-observations")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
