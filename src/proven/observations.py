"""Observations: what each proof saw on a passing run, stored beside it.

A proof records what it observed for both twins with one call,
`observe(bad="kept 0 of 37 hits", good="kept 41 of 41 hits")` (the
`observe` fixture). `pytest --update-observations` writes those records to
`tests/<page-slug>/observations.json`, keyed by claim id, each with the date
of the run and a fingerprint of everything the proof ran: its test file, the
conftest files it uses, the harness, and the example pairs it names. The site
build reads the stored records and runs nothing; a test fails when a claim has
no record or its fingerprint no longer matches the tree.

Everything here reads files only (standard library), so the site build can
use it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from proven.claims import Claim
from proven.paths import EXAMPLES_DIR, PACKAGE_DIR, ROOT, TESTS_DIR, shipped_files

FILE_NAME = "observations.json"
"""Each page's observations live in `tests/<page-slug>/observations.json`."""

UPDATE_OPTION = "--update-observations"
"""The pytest option that stores the observations of the proofs that pass."""

MAX_LENGTH = 200
"""An observation is a short sentence: at most this many characters per twin."""


@dataclass(frozen=True)
class Observation:
    """What a proof observed for each twin, when, and the fingerprint of what ran.

    Example:
        ```python
        from proven.observations import Observation

        seen = Observation("kept 0 of 37", "kept 41 of 41", "2026-12-01", "0" * 64)
        assert seen.bad.startswith("kept 0")
        ```
    """

    bad: str
    """What the bad twin did, with the numbers the proof measured."""
    good: str
    """What the good twin did, with the numbers the proof measured."""
    observed_on: str
    """The date (ISO 8601) of the passing run that produced it."""
    fingerprint: str
    """[`fingerprint`][proven.observations.fingerprint] of what ran."""
    timeline: dict[str, Any] | None = None
    """The requests and events of the run, for the claim's picture: a
    [`Timeline.record`][proven.timeline.Timeline.record], or None for a claim without one."""


def check_text(twin: str, text: object) -> str:
    """Reject an observation that is not a short, one-line, non-empty sentence.

    Example:
        ```python
        from proven.observations import check_text

        assert check_text("bad", " kept 0 of 3 ") == "kept 0 of 3"
        ```
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"observe({twin}=...) takes a non-empty string, got {text!r}")
    if "\n" in text or len(text) > MAX_LENGTH:
        raise ValueError(
            f"observe({twin}=...) takes one line of at most {MAX_LENGTH} characters: {text!r}"
        )
    return text.strip()


def pairs_named(source: str) -> list[Path]:
    """The example scenario folders a proof file names as `"<slug>/<scenario>"`.

    Example:
        ```python
        from proven.observations import pairs_named

        found = pairs_named('EXAMPLE = "processes/shared-secret"')
        assert [p.name for p in found] == ["shared-secret"]
        ```
    """
    return [
        scenario
        for scenario in sorted(EXAMPLES_DIR.glob("*/*"))
        if scenario.is_dir()
        and re.search(re.escape(f"{scenario.parent.name}/{scenario.name}") + r"(?![\w-])", source)
    ]


def fingerprinted_files(found: Claim) -> list[Path]:
    """Every file whose content the fingerprint of a claim's proof covers.

    Example:
        ```python
        from proven import collect_claims
        from proven.observations import fingerprinted_files
        from proven.paths import ROOT

        proof = next(c for c in collect_claims() if c.id == "shared-secret")
        names = {p.relative_to(ROOT).as_posix() for p in fingerprinted_files(proof)}
        assert "tests/processes/test_shared_secret.py" in names
        assert "examples/processes/shared-secret/good/app.py" in names
        assert "src/proven/processes.py" in names
        assert "requirements.txt" in names
        ```
    """
    test_file = ROOT / found.path
    # requirements.txt pins what every proof runs on (gunicorn, Flask, the clients,
    # the servers from PyPI): an upgrade makes every observation stale.
    files = [test_file, TESTS_DIR / "conftest.py", ROOT / "requirements.txt"]
    page_conftest = test_file.parent / "conftest.py"
    if page_conftest.is_file():
        files.append(page_conftest)
    files += sorted(PACKAGE_DIR.glob("*.py"))
    for scenario in pairs_named(test_file.read_text()):
        files += shipped_files(scenario)
    return files


def fingerprint(found: Claim) -> str:
    """A SHA-256 over the path and content of every file the proof ran.

    Example:
        ```python
        from proven import collect_claims
        from proven.observations import fingerprint

        proof = next(c for c in collect_claims() if c.id == "shared-secret")
        assert fingerprint(proof) == fingerprint(proof)
        assert len(fingerprint(proof)) == 64
        ```
    """
    digest = hashlib.sha256()
    for path in fingerprinted_files(found):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def observations_file(page: str, tests_dir: Path = TESTS_DIR) -> Path:
    """Where a page's observations are stored: `tests/<page-slug>/observations.json`.

    Example:
        ```python
        from proven.observations import observations_file

        path = observations_file("processes")
        assert path.as_posix().endswith("tests/processes/observations.json")
        ```
    """
    return tests_dir / page / FILE_NAME


def load_observations(page: str, tests_dir: Path = TESTS_DIR) -> dict[str, Observation]:
    """A page's stored observations, keyed by claim id (empty when there is no file).

    Example:
        ```python
        from proven.observations import load_observations

        seen = load_observations("processes")
        assert seen["shared-secret"].good
        ```
    """
    path = observations_file(page, tests_dir)
    if not path.is_file():
        return {}
    return {
        claim_id: Observation(**record) for claim_id, record in json.loads(path.read_text()).items()
    }


def save_observations(
    page: str, observations: dict[str, Observation], tests_dir: Path = TESTS_DIR
) -> Path:
    """Write a page's observations, sorted by claim id, as reviewable JSON.

    Example:
        ```python
        import tempfile
        from pathlib import Path

        from proven.observations import Observation, load_observations, save_observations

        tests_dir = Path(tempfile.mkdtemp())
        (tests_dir / "logs").mkdir()
        seen = Observation("lost 21 of 120 lines", "kept 120 of 120", "2026-12-01", "0" * 64)
        save_observations("logs", {"log-kill-9": seen}, tests_dir)
        assert load_observations("logs", tests_dir) == {"log-kill-9": seen}

        timeline = {"step": 0.1, "bad": {"marks": [[0.5, "event", "kill -9"]]}}
        drawn = Observation("lost 2", "kept 2", "2026-12-01", "0" * 64, timeline)
        path = save_observations("logs", {"log-kill-9": drawn}, tests_dir)
        assert '\n          [0.5, "event", "kill -9"]\n' in path.read_text()
        assert load_observations("logs", tests_dir)["log-kill-9"].timeline == timeline
        ```
    """
    path = observations_file(page, tests_dir)
    records = {}
    for claim_id in sorted(observations):
        record = asdict(observations[claim_id])
        if record["timeline"] is None:
            del record["timeline"]
        records[claim_id] = record
    path.write_text(_dumps(records) + "\n")
    return path


def _dumps(value: object, depth: int = 0) -> str:
    """JSON indented by 2, as `json.dumps(indent=2)`, but a list of plain values on one line.

    A timeline's buckets and marks then take a line each, which keeps a record
    short to review.
    """
    inner = "  " * (depth + 1)
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {_dumps(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * depth + "}"
    if isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        items = [f"{inner}{_dumps(item, depth + 1)}" for item in value]
        return "[\n" + ",\n".join(items) + "\n" + "  " * depth + "]"
    return json.dumps(value, ensure_ascii=False)


def update_command(node_ids: list[str]) -> str:
    """The command that refreshes the observations of these proofs.

    Example:
        ```python
        from proven.observations import update_command

        command = update_command(["tests/logs/test_request_log.py::test_x"])
        assert command.endswith("--update-observations")
        ```
    """
    quoted = " ".join(f'"{node_id}"' for node_id in node_ids)
    return f".venv/bin/pytest {quoted} {UPDATE_OPTION}"


def problem(found: Claim, stored: Observation | None) -> str | None:
    """Why a claim's stored observation cannot be shown, or None when it is current.

    Example:
        ```python
        from proven import collect_claims
        from proven.observations import problem

        proof = next(c for c in collect_claims() if c.id == "shared-secret")
        assert "no stored observation" in problem(proof, None)
        ```
    """
    if stored is None:
        return (
            f"claim '{found.id}' has no stored observation; run its proof once with "
            f"{UPDATE_OPTION}: {update_command([found.node_id])}"
        )
    if stored.fingerprint != fingerprint(found):
        return (
            f"claim '{found.id}': the observation of {stored.observed_on} is stale (its proof, "
            f"its examples or the harness changed since); run it again: "
            f"{update_command([found.node_id])}"
        )
    return None
