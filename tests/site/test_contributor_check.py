"""The contributor's steps have one source: `tools.check.CONTRIBUTOR_STEPS`.

The scaffold prints them (its "Next" list is made from them); CONTRIBUTING's quick
start and the pull-request template must name each of them, so the three lists
cannot drift apart, and each names the one command, `python -m tools.check`.
"""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# tools/ is the contributor's tools, run as `python -m tools.<name>` from the root, which
# pytest does not put on sys.path; appended, so nothing else it holds shadows a package.
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from tools.check import COMMAND, CONTRIBUTOR_STEPS, contributor_steps  # noqa: E402
from tools.scaffold import next_steps  # noqa: E402


def quick_start() -> str:
    """CONTRIBUTING's "In one screen" section, up to the next heading."""
    text = (ROOT / "CONTRIBUTING.md").read_text()
    section = text.split("{#quick-start}", 1)[1]
    return section.split("\n## ", 1)[0]


WHERE = {
    "the scaffold's Next list": (
        lambda: next_steps("processes", "last-seen"),
        "processes",
        "last-seen",
    ),
    "CONTRIBUTING's quick start": (quick_start, "config", "database-url"),
    "the PR template": (
        lambda: (ROOT / ".github" / "pull_request_template.md").read_text(),
        "<slug>",
        "<scenario>",
    ),
}


@pytest.mark.parametrize("where", WHERE)
def test_every_step_is_named(where: str):
    """Each list names every contributor step, in the order `CONTRIBUTOR_STEPS` gives."""
    read, slug, scenario = WHERE[where]
    text = read()
    missing = [c for c, _ in contributor_steps(slug, scenario) if c not in text]
    assert not missing, (
        f"{where} does not name these steps of tools.check.CONTRIBUTOR_STEPS: {missing}; "
        "name them there, or change CONTRIBUTOR_STEPS and every list together"
    )
    positions = [text.index(c) for c, _ in contributor_steps(slug, scenario)]
    assert positions == sorted(positions), (
        f"{where} names the steps out of CONTRIBUTOR_STEPS' order"
    )


@pytest.mark.parametrize("where", WHERE)
def test_every_list_names_the_check(where: str):
    """Each list names the one command for a contributor's check."""
    read, slug, _ = WHERE[where]
    assert f"{COMMAND} {slug}" in read()


def test_the_steps_run_the_check_for_a_pair_and_its_page():
    """The steps include the check of the pair and of its page."""
    commands = [command for command, _ in CONTRIBUTOR_STEPS]
    assert "python -m tools.check {slug}/{scenario}" in commands
    assert "python -m tools.check {slug}" in commands


def test_a_failing_swap_check_leaves_no_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A failing swap check removes its swap-check-* folder; one file keeps pytest's output."""
    from tools import swap_check

    def fails(folder: Path, *args: object) -> int:
        (folder / "pytest.log").write_text("a proof passed swapped\n")
        return 1

    monkeypatch.setattr(swap_check.tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(swap_check, "LAST_LOG", tmp_path / "swap-check.log")
    monkeypatch.setattr(swap_check, "check_swapped", fails)
    assert swap_check.main(["config/required"]) == 1
    assert not list(tmp_path.glob("swap-check-*")), "the check's folder was left behind"
    assert "a proof passed swapped" in (tmp_path / "swap-check.log").read_text()


def test_a_page_selects_its_own_pairs_only():
    """`processes` selects the Processes page's pair tests, not admin- or stateless-processes'."""
    from tools.check import PARAMETRIZED_TESTS, parametrized_ids

    ids = parametrized_ids(PARAMETRIZED_TESTS, "processes")
    assert ids, "no parametrized test of the processes page was found"
    assert all("[processes/" in node_id for node_id in ids), ids


def test_the_check_rewrites_a_stale_twins_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """In a copy of the project whose twins table lacks a row, the check's first action writes
    it back and says it changed the table; run again, it changes nothing."""
    from proven.paths import copy_shipped
    from tools import check

    copy = copy_shipped(ROOT, tmp_path / "project")
    table = copy / check.TWINS_TABLE.relative_to(ROOT)
    current = table.read_text()
    row = "| [processes](processes.md) / shared-secret |"
    table.write_text("".join(line for line in current.splitlines(True) if row not in line))
    monkeypatch.setattr(check, "ROOT", copy)
    monkeypatch.setattr(check, "TWINS_TABLE", table)
    monkeypatch.setattr(check, "PYTHON", sys.executable)
    env = {name: value for name, value in os.environ.items() if name != "PROVEN_ROOT"}
    assert check.update_twins_table(env), "the check did not say it rewrote the table"
    assert table.read_text() == current
    assert not check.update_twins_table(env)
