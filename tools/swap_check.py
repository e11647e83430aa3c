"""Non-vacuity check: run proofs with bad and good swapped and report those that still pass.

A proof asserts that the bad twin fails and the good twin holds. Run with the
twins traded, it must fail; a proof that still passes proves nothing about the
difference between them. The check copies the project to a temporary folder,
swaps the `bad/` and `good/` folders of the selected pairs there, and runs
their proofs in the copy, so a proof sees the swap however it finds its
example (the harness, a path, a Procfile, a git repository made from it).
From the project root:

    .venv/bin/python -m tools.swap_check                      # every pair
    .venv/bin/python -m tools.swap_check processes            # the pairs of one page
    .venv/bin/python -m tools.swap_check processes/shared-secret
    .venv/bin/python -m tools.swap_check --changed-since origin/main

It runs the proofs of every file that names a selected pair (`"<slug>/<scenario>"`)
and, for a page named on the command line, every proof of that page: first as they
are (each must pass: a proof that fails both ways shows nothing), then with the
twins swapped, each run on every core (three workers a core). It exits 1 if a proof fails
unswapped or still passes swapped, or if a selected pair has no proof that names
it. `--skip-unswapped` leaves out the first run when the proofs have just passed
(`.ci/run` runs the check right after the README's test command). A proof that
fails only because a swapped twin could not start (the good twin given the bad
twin's config) is listed apart: it does fail, but the swap never reached its
assertions; pass the same environment to both twins to make the check bite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from proven.claims import Claim, collect_claims
from proven.layout import (
    PLACEHOLDER,
    ROOT,
    Pair,
    example_pairs,
    names_pair,
    proofs_of,
)
from proven.paths import ROOT_VARIABLE
from proven.processes import SWAP_TWINS

RESULTS = "PROOF_SWAP_RESULTS"
"""Where the pytest plugin half of this file writes one JSON line per test phase."""

START_FAILURES = ("AppFailedToStart",)

LAST_LOG = Path(tempfile.gettempdir()) / "swap-check.log"
"""Where a failing check leaves pytest's output; its working folder is always removed."""

WORKERS_PER_CORE = 3
"""Test workers per core for the check's runs (the suite's `-n auto` starts fewer)."""


def count(number: int, noun: str) -> str:
    """`1 proof`, `2 proofs`."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def pytest_runtest_logreport(report) -> None:  # pragma: no cover - runs inside pytest
    """Plugin hook (loaded with `-p tools.swap_check`): record each proof's outcome and failure."""
    target = os.environ.get(RESULTS)
    if not target or (report.when != "call" and report.outcome == "passed"):
        return
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # under -n auto the controller records every worker's reports
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    record = {
        "nodeid": report.nodeid,
        "when": report.when,
        "outcome": report.outcome,
        "crash": crash.message.splitlines()[0] if crash and crash.message else "",
    }
    with open(target, "a") as out:
        out.write(json.dumps(record) + "\n")


def select_pairs(names: list[str]) -> list[Pair]:
    """The complete pairs named `<slug>/<scenario>` or belonging to page `<slug>`; all if none."""
    every = example_pairs()
    pairs = [pair for pair in every if not pair.missing_twins]
    if not names:
        return pairs
    for pair in every:
        if pair.missing_twins and pair.name in names:
            missing = " and ".join(f"{twin}/app.py" for twin in pair.missing_twins)
            sys.exit(f"swap check: examples/{pair.name} has no {missing}: nothing to swap yet")
    chosen = [pair for pair in pairs if pair.name in names or pair.slug in names]
    unknown = [n for n in names if not any(n in (p.name, p.slug) for p in every)]
    if unknown:
        known = ", ".join(pair.name for pair in pairs)
        sys.exit(f"swap check: no pair or page named {', '.join(unknown)}; pairs: {known}")
    return chosen


def changed_pairs(since: str) -> list[Pair]:
    """The pairs a change touches: their examples, or a proof file that names them.

    A change to the harness or a conftest touches every pair.
    """
    diff = subprocess.run(
        ["git", "diff", "--name-only", f"{since}...HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    changed = set(diff.stdout.split()) | {line[3:] for line in dirty.stdout.splitlines()}
    pairs = [pair for pair in example_pairs() if not pair.missing_twins]
    if any(path.startswith("src/proven/") or path.endswith("conftest.py") for path in changed):
        return pairs
    proof_files = [ROOT / p for p in changed if p.startswith("tests/") and (ROOT / p).is_file()]
    texts = [path.read_text() for path in proof_files if path.name.startswith("test_")]
    return [
        pair
        for pair in pairs
        if any(path.startswith(f"examples/{pair.name}/") for path in changed)
        or any(names_pair(text, pair.name) for text in texts)
    ]


IGNORED = shutil.ignore_patterns(
    ".git", ".venv", "site", "__pycache__", ".pytest_cache", ".ruff_cache", "*.pyc"
)
"""What the swapped copy of the project leaves out: it needs sources, not caches."""


def swapped_copy(pairs: list[Pair], folder: Path) -> Path:
    """Copy the project into `folder` and trade the `bad/` and `good/` folders of `pairs`."""
    copy = folder / "project"
    shutil.copytree(ROOT, copy, ignore=IGNORED, symlinks=True)
    for pair in pairs:
        scenario = copy / "examples" / pair.slug / pair.scenario
        (scenario / "bad").rename(scenario / "swapping")
        (scenario / "good").rename(scenario / "bad")
        (scenario / "swapping").rename(scenario / "good")
    return copy


def run_proofs(
    proofs: list[Claim], project: Path, log: Path, swapped: bool
) -> tuple[int, dict[str, dict[str, str]]]:
    """Run the proofs once, on every core, in `project`; pytest's exit code and each result.

    Swapped, each worker gives every app its own `REDIS_URL` and `DATABASE_URL`
    (the `swap_check_services` fixture of `proven.plugin`), so that a good twin
    started in the bad twin's place finds its backing services.
    """
    results_file = log.with_suffix(".jsonl")
    env = {
        **os.environ,
        RESULTS: str(results_file),
        ROOT_VARIABLE: str(project),
    }
    env.pop(SWAP_TWINS, None)
    if swapped:
        env[SWAP_TWINS] = "1"
    argv = [sys.executable, "-m", "pytest", "-p", "tools.swap_check", "-p", "no:cacheprovider"]
    # Swapped, most proofs wait out a time-out for what their good twin never does: more
    # workers per core than the suite's overlap the waits (the plugin's -n auto reads
    # proven_workers_per_core). For one or two proofs, workers cost more than they save.
    if len(proofs) > 2:
        argv += ["-n", "auto", "-o", f"proven_workers_per_core={WORKERS_PER_CORE}"]
    else:
        argv += ["-n", "0"]
    argv += ["-q", "--tb=line", "-rN", *sorted({proof.node_id for proof in proofs})]
    with log.open("w") as out:
        code = subprocess.run(
            argv, cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT
        ).returncode
    results: dict[str, dict[str, str]] = {}
    if results_file.exists():
        for line in results_file.read_text().splitlines():
            record = json.loads(line)
            earlier = results.get(record["nodeid"])
            if earlier is None or earlier["outcome"] == "passed":
                results[record["nodeid"]] = record
    return code, results


def run_swapped(
    pairs: list[Pair], proofs: list[Claim], log: Path
) -> tuple[int, dict[str, dict[str, str]]]:
    """Run the proofs once in a copy of the project where `pairs` are swapped."""
    return run_proofs(proofs, swapped_copy(pairs, log.parent), log, swapped=True)


def results_of(node_id: str, results: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    """The records of one proof (each parameter of a parametrized one)."""
    return [r for n, r in results.items() if n == node_id or n.startswith(node_id + "[")]


def main(argv: list[str] | None = None) -> int:
    """Select pairs, run their proofs unswapped then swapped, print the report.

    1 if a proof fails unswapped or passes swapped, or a selected pair has no proof.
    """
    parser = argparse.ArgumentParser(
        prog="python -m tools.swap_check",
        description="Run proofs with bad and good swapped; report those that still pass.",
    )
    parser.add_argument("pairs", nargs="*", help="<slug>/<scenario> or <slug> (default: all)")
    parser.add_argument("--changed-since", metavar="REF", help="only pairs a change touches")
    parser.add_argument(
        "--skip-unswapped",
        action="store_true",
        help="do not run the proofs unswapped first: they have just passed "
        "(as in .ci/run, right after the README's test command)",
    )
    args = parser.parse_args(argv)

    pairs = changed_pairs(args.changed_since) if args.changed_since else select_pairs(args.pairs)
    if args.changed_since and not pairs:
        print(f"swap check: no pair changed since {args.changed_since}: nothing to check")
        return 0
    proofs: dict[str, Claim] = {}
    unproven: list[Pair] = []
    for pair in pairs:
        found = proofs_of(pair.name)
        if not found:
            unproven.append(pair)
        proofs.update((proof.node_id, proof) for proof in found)
    if not args.changed_since:  # a page named on the command line: every proof of that page too
        of_pages = [c for c in collect_claims() if c.page in args.pairs]
        proofs.update((c.node_id, c) for c in of_pages)
        # ...and the pairs those proofs run, wherever they live (Factor VI runs the guide's cart)
        texts = {(ROOT / c.path).read_text() for c in of_pages}
        pairs += [
            pair
            for pair in select_pairs([])
            if pair not in pairs and any(names_pair(text, pair.name) for text in texts)
        ]
    for pair in unproven:
        print(
            f'swap check: no proof names the pair "{pair.name}" (a proof file names the pair '
            f"it runs as that string, not built with an f-string): nothing checks it"
        )
    if not proofs:
        print("swap check: no proof found to run: nothing was checked")
        return 1

    folder = Path(tempfile.mkdtemp(prefix="swap-check-"))
    code = 2
    try:
        code = check_swapped(folder, pairs, proofs, unproven, args.skip_unswapped)
    finally:
        if code:  # pytest's output is kept, in one file each run overwrites, not the copy
            logs = sorted(folder.glob("*.log"))
            LAST_LOG.write_text("".join(f"==> {p.name}\n{p.read_text()}" for p in logs))
        shutil.rmtree(folder, ignore_errors=True)
    return code


def check_swapped(
    folder: Path,
    pairs: list[Pair],
    proofs: dict[str, Claim],
    unproven: list[Pair],
    skip_unswapped: bool,
) -> int:
    """Run the proofs (unswapped first unless `skip_unswapped`) then swapped in `folder`; report."""
    started = time.monotonic()
    failing: dict[str, str] = {}
    if not skip_unswapped:
        print(f"swap check: {count(len(proofs), 'proof')}, run first unswapped (each must pass)")
        code, results = run_proofs(list(proofs.values()), ROOT, folder / "unswapped.log", False)
        if code not in (0, 1):
            print(f"swap check: pytest stopped with exit code {code}; see {LAST_LOG}")
            return 2
        for node_id in proofs:
            matching = results_of(node_id, results)
            if not matching:
                failing[node_id] = "did not run (see the log)"
            elif any(r["outcome"] == "failed" for r in matching):
                failing[node_id] = next((r["crash"] for r in matching if r["crash"]), "failed")
    print(
        f"swap check: {count(len(proofs), 'proof')} of {count(len(pairs), 'pair')}, "
        "run with bad and good swapped in a copy of the project"
    )
    log = folder / "pytest.log"
    code, results = run_swapped(pairs, list(proofs.values()), log)
    seconds = time.monotonic() - started

    vacuous, both_ways, on_assert, on_start, other = [], [], [], [], []
    for node_id, proof in sorted(proofs.items()):
        matching = results_of(node_id, results)
        crash = next((r["crash"] for r in matching if r["crash"]), "")
        if not matching:
            other.append((proof, "did not run (see the log)"))
        elif any(r["outcome"] == "passed" for r in matching):
            vacuous.append(proof)
        elif node_id in failing:
            both_ways.append((proof, failing[node_id]))
        elif any(r["outcome"] == "skipped" for r in matching) or "REQUIRE_SERVICES" in crash:
            other.append((proof, "a service is missing: " + crash))
        elif PLACEHOLDER in crash:
            other.append((proof, "not written yet: it stops at the scaffold's pytest.fail"))
        elif all(r["crash"].split(":")[0].endswith(START_FAILURES) for r in matching):
            on_start.append(proof)
        else:
            on_assert.append((proof, crash))

    for proof, why in on_assert:
        print(f"  fails     {proof.id:<28} {why[:80]}")
    for proof in on_start:
        print(f"  fails     {proof.id:<28} at start: a swapped twin did not start with that config")
    for proof, why in other:
        print(f"  unchecked {proof.id:<28} {why[:80]}")
    if code not in (0, 1):
        print(f"swap check: pytest stopped with exit code {code}; its output is in {LAST_LOG}")
        return 2
    if both_ways:
        print(
            f"swap check: {count(len(both_ways), 'proof')} also "
            f"{'fails' if len(both_ways) == 1 else 'fail'} with the twins as they are, so its "
            "failure swapped shows nothing; make it pass first:"
        )
        for proof, why in both_ways:
            print(f"  FAILS BOTH {proof.id:<27} unswapped: {why[:80]}")
    if vacuous:
        print(
            f"swap check: {count(len(vacuous), 'proof')} still "
            f"{'passes' if len(vacuous) == 1 else 'pass'} with bad and good swapped, "
            "proving nothing; make each assert what the bad twin loses and the good twin keeps:"
        )
        for proof in vacuous:
            print(f"  PASSES    {proof.id:<28} {proof.node_id}")
    if vacuous or both_ways or unproven:
        print(f"(pytest's output: {LAST_LOG})")
        return 1
    print(
        f"swap check: no proof passes with its twins swapped ({len(on_assert)} fail in their "
        f"own checks, {len(on_start)} at start, {len(other)} unchecked; {seconds:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
