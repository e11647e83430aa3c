"""Non-vacuity check: run proofs with bad and good swapped and report those that still pass.

A proof asserts that the bad twin fails and the good twin holds. Run with the
twins traded, it must fail; a proof that still passes proves nothing about the
difference between them. The check copies the project to a temporary folder,
swaps the `bad/` and `good/` folders of the selected pairs there, and runs
their proofs in the copy, so a proof sees the swap however it finds its
example (the harness, a path, a Procfile, a git repository made from it).
From the project root:

    .venv/bin/python tests/swap_check.py                      # every pair
    .venv/bin/python tests/swap_check.py processes            # the pairs of one page
    .venv/bin/python tests/swap_check.py processes/shared-secret
    .venv/bin/python tests/swap_check.py --changed-since origin/main

It runs, once each, the proofs of every file that names a selected pair
(`"<slug>/<scenario>"`) and, for a page named on the command line, every proof
of that page; it exits 1 if any still passes. A proof that fails
only because a swapped twin could not start (the good twin given the bad
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
from contextlib import ExitStack
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness.claims import Claim, collect_claims  # noqa: E402
from harness.layout import (  # noqa: E402
    PLACEHOLDER,
    ROOT,
    Pair,
    example_pairs,
    names_pair,
    proofs_of,
)
from harness.processes import SWAP_TWINS  # noqa: E402
from harness.services import PostgresServer, RedisServer, find_binary  # noqa: E402

RESULTS = "PROOF_SWAP_RESULTS"
"""Where the pytest plugin half of this file writes one JSON line per test phase."""

START_FAILURES = ("AppFailedToStart",)


def count(number: int, noun: str) -> str:
    """`1 proof`, `2 proofs`."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def pytest_runtest_logreport(report) -> None:  # pragma: no cover - runs inside pytest
    """Plugin hook (loaded with `-p swap_check`): record each proof's outcome and failure."""
    target = os.environ.get(RESULTS)
    if not target or (report.when != "call" and report.outcome == "passed"):
        return
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
    pairs = [pair for pair in example_pairs() if not pair.missing_twins]
    if not names:
        return pairs
    chosen = [pair for pair in pairs if pair.name in names or pair.slug in names]
    unknown = [n for n in names if not any(n in (p.name, p.slug) for p in pairs)]
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
    if any(path.startswith("tests/harness/") or path.endswith("conftest.py") for path in changed):
        return pairs
    proof_files = [ROOT / p for p in changed if p.startswith("tests/") and (ROOT / p).is_file()]
    texts = [path.read_text() for path in proof_files if path.name.startswith("test_")]
    return [
        pair
        for pair in pairs
        if any(path.startswith(f"examples/{pair.name}/") for path in changed)
        or any(names_pair(text, pair.name) for text in texts)
    ]


def backing_services(stack: ExitStack) -> dict[str, str]:
    """`REDIS_URL` and `DATABASE_URL` for the swapped run: as set, or throwaway servers.

    Under `PROOF_SWAP_TWINS=1` the harness gives them to every app (see
    `harness.processes.SWAP_SERVICE_VARIABLES`), so a good twin started in the
    bad twin's place finds its backing services. A missing binary leaves the
    variable out: the proofs then start (or skip for) their own servers.
    """
    found = {}
    for variable, binary, server in (
        ("REDIS_URL", "redis-server", RedisServer),
        ("DATABASE_URL", "postgres", PostgresServer),
    ):
        if os.environ.get(variable):
            found[variable] = os.environ[variable]
        elif find_binary(binary):
            found[variable] = stack.enter_context(server()).url
    return found


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


def run_swapped(
    pairs: list[Pair], proofs: list[Claim], log: Path
) -> tuple[int, dict[str, dict[str, str]]]:
    """Run the proofs once in a swapped copy; pytest's exit code and each proof's result."""
    results_file = log.with_suffix(".jsonl")
    copy = swapped_copy(pairs, log.parent)
    stack = ExitStack()
    env = {
        **os.environ,
        **backing_services(stack),
        SWAP_TWINS: "1",
        RESULTS: str(results_file),
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(copy / "tests"), os.environ.get("PYTHONPATH")])
        ),
    }
    argv = [sys.executable, "-m", "pytest", "-p", "swap_check", "-p", "no:cacheprovider"]
    argv += ["-q", "--tb=line", "-rN", *sorted({proof.node_id for proof in proofs})]
    with stack, log.open("w") as out:
        code = subprocess.run(
            argv, cwd=copy, env=env, stdout=out, stderr=subprocess.STDOUT
        ).returncode
    results: dict[str, dict[str, str]] = {}
    if results_file.exists():
        for line in results_file.read_text().splitlines():
            record = json.loads(line)
            earlier = results.get(record["nodeid"])
            if earlier is None or earlier["outcome"] == "passed":
                results[record["nodeid"]] = record
    return code, results


def main(argv: list[str] | None = None) -> int:
    """Select pairs, run their proofs swapped, print the report; 1 if any proof still passes."""
    parser = argparse.ArgumentParser(
        prog="tests/swap_check.py",
        description="Run proofs with bad and good swapped; report those that still pass.",
    )
    parser.add_argument("pairs", nargs="*", help="<slug>/<scenario> or <slug> (default: all)")
    parser.add_argument("--changed-since", metavar="REF", help="only pairs a change touches")
    args = parser.parse_args(argv)

    pairs = changed_pairs(args.changed_since) if args.changed_since else select_pairs(args.pairs)
    proofs: dict[str, Claim] = {}
    for pair in pairs:
        found = proofs_of(pair.name)
        if not found:
            print(f"swap check: examples/{pair.name} has no proof to check (see test_structure)")
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
    if not proofs:
        print("swap check: no proof to run")
        return 0

    print(
        f"swap check: {count(len(proofs), 'proof')} of {count(len(pairs), 'pair')}, "
        "run with bad and good swapped in a copy of the project"
    )
    log = Path(tempfile.mkdtemp(prefix="swap-check-")) / "pytest.log"
    started = time.monotonic()
    code, results = run_swapped(pairs, list(proofs.values()), log)
    seconds = time.monotonic() - started

    vacuous, on_assert, on_start, other = [], [], [], []
    for node_id, proof in sorted(proofs.items()):
        matching = [r for n, r in results.items() if n == node_id or n.startswith(node_id + "[")]
        crash = next((r["crash"] for r in matching if r["crash"]), "")
        if not matching:
            other.append((proof, "did not run (see the log)"))
        elif any(r["outcome"] == "passed" for r in matching):
            vacuous.append(proof)
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
        print(f"swap check: pytest stopped with exit code {code}; its output is in {log}")
        return 2
    if vacuous:
        print(
            f"swap check: {count(len(vacuous), 'proof')} still "
            f"{'passes' if len(vacuous) == 1 else 'pass'} with bad and good swapped, "
            "proving nothing; make each assert what the bad twin loses and the good twin keeps:"
        )
        for proof in vacuous:
            print(f"  PASSES    {proof.id:<28} {proof.node_id}")
        print(f"(pytest's output: {log})")
        return 1
    shutil.rmtree(log.parent, ignore_errors=True)
    print(
        f"swap check: no proof passes with its twins swapped ({len(on_assert)} fail in their "
        f"own checks, {len(on_start)} at start, {len(other)} unchecked; {seconds:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
