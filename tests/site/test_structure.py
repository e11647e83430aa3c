"""The project's shape: every pair has two twins, a proof and a page that shows it.

Each failure says, in one line, what is missing and what to do about it. The
claims themselves (a proof's claim shown on its page, a page's claim backed by
a proof) are checked by `test_claims.py`. See CONTRIBUTING.md for the
contracts these tests enforce.
"""

import re
from pathlib import Path

import pytest
import yaml

from proven.layout import (
    PLACEHOLDER,
    TWINS,
    Pair,
    example_pairs,
    page_includes,
    placeholders,
    proofs_of,
)
from proven.paths import DOCS_DIR, ROOT, shipped_files
from proven.scenarios import FILE_NAME, ScenarioError, read_scenario

PAIRS = example_pairs()
COMPLETE = [pair for pair in PAIRS if not pair.missing_twins]
PAGES = sorted(DOCS_DIR.glob("*.md"))
INCLUDES = [include for page in PAGES for include in page_includes(page)]
SCAFFOLD = "`.venv/bin/python -m tools.scaffold <slug> <scenario>`"


def slugs() -> list[str]:
    """Every slug that owns something: a page with examples, or a folder of examples or proofs."""
    owners = {pair.slug for pair in PAIRS}
    owners |= {
        path.parent.name
        for path in (ROOT / "tests").glob("*/test_*.py")
        if (DOCS_DIR / f"{path.parent.name}.md").is_file()
    }
    return sorted(owners)


def by_name(pair: Pair) -> str:
    return pair.name


@pytest.mark.parametrize("pair", PAIRS, ids=by_name)
def test_every_example_has_both_twins(pair: Pair):
    """A scenario folder holds a bad and a good twin, each an `app.py` with a Flask `app`."""
    where = f"examples/{pair.name}"
    if len(pair.missing_twins) == len(TWINS):
        pytest.fail(
            f"{where}/ holds no bad/app.py and no good/app.py: a scenario folder holds a pair; "
            f"add both twins (or start over with {SCAFFOLD}), or delete the folder",
        )
    for twin in pair.missing_twins:
        other = "good" if twin == "bad" else "bad"
        pytest.fail(
            f"{where}/{twin}/app.py is missing: add the {twin} twin, a Flask app named `app` "
            f"that differs from {other}/app.py only in the violation docs/{pair.slug}.md teaches",
            pytrace=False,
        )


@pytest.mark.parametrize("pair", PAIRS, ids=by_name)
def test_every_pair_declares_its_facts(pair: Pair):
    """A scenario folder holds a `scenario.toml` that parses: what the twins serve and need."""
    path = pair.folder / FILE_NAME
    if not path.is_file():
        pytest.fail(
            f"examples/{pair.name}/{FILE_NAME} is missing: add it with the good twin's routes "
            '(endpoints = ["GET /path/<param>", ...]) and, under [env], the environment both '
            "twins need; the hostile-input tests, the soak and the proofs' set-up read it "
            f"(see CONTRIBUTING.md, or start over with {SCAFFOLD})",
            pytrace=False,
        )
    try:
        read_scenario(path)
    except ScenarioError as error:
        problem = str(error)
    else:
        return
    pytest.fail(problem, pytrace=False)


@pytest.mark.parametrize("slug", sorted({pair.slug for pair in PAIRS}))
def test_every_example_folder_belongs_to_a_page(slug: str):
    """`examples/<slug>/` is named after the page that shows it."""
    if not (DOCS_DIR / f"{slug}.md").is_file():
        pytest.fail(
            f"examples/{slug}/ has no page docs/{slug}.md: put the pair under the slug of the page "
            f"that shows it (the page slugs are the file names in docs/)",
            pytrace=False,
        )


@pytest.mark.parametrize("pair", COMPLETE, ids=by_name)
def test_every_pair_has_a_proof(pair: Pair):
    """A test in `tests/<slug>/` declares a claim and names the pair `"<slug>/<scenario>"`."""
    own = [proof for proof in proofs_of(pair.name) if proof.page == pair.slug]
    if not own:
        pytest.fail(
            f"examples/{pair.name} has no proof: write a test in tests/{pair.slug}/"
            f"test_{pair.scenario.replace('-', '_')}.py decorated with @claim(...) that starts "
            f'both twins (EXAMPLE = "{pair.name}"; start_app(f"{{EXAMPLE}}/bad"), '
            f'start_app(f"{{EXAMPLE}}/good")) and asserts the bad one fails, the good one holds',
            pytrace=False,
        )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_page_includes_only_files_that_exist(page: Path):
    """Every `--8<-- "<path>"` of a page names a file, relative to the project root."""
    missing = [
        f"docs/{page.name}:{include.line} includes {include.target}, which does not exist"
        for include in page_includes(page)
        if not include.exists
    ]
    if missing:
        pytest.fail(
            "; ".join(missing) + ": fix the path (it is relative to the project root, "
            "e.g. examples/<slug>/<scenario>/good/app.py) or add the file",
            pytrace=False,
        )


@pytest.mark.parametrize("pair", COMPLETE, ids=by_name)
def test_every_pair_is_shown_on_a_page(pair: Pair):
    """Each twin is shown by a page: its `app.py`, or the files where the twins differ.

    When the lesson lives outside `app.py` (a `requirements.txt`, a `worker.py`,
    an admin script), the page may show the shared `app.py` once and the
    differing files in its Bad and Good tabs.
    """
    shown = {include.target for include in INCLUDES}
    for twin in TWINS:
        folder = f"examples/{pair.name}/{twin}/"
        if not any(target.startswith(folder) for target in shown):
            app = f"{folder}app.py"
            pytest.fail(
                f"no file of {folder} is shown on any page: add a section with the Bad/Good tabs "
                f'that include it (`--8<-- "{app}"`) to docs/{pair.slug}.md, as {SCAFFOLD} '
                "writes it",
                pytrace=False,
            )


@pytest.mark.parametrize("slug", slugs())
def test_no_scaffold_placeholder_is_left(slug: str):
    """Text the scaffold wrote for the contributor to replace is gone: examples, proofs, page."""
    files = [DOCS_DIR / f"{slug}.md"]
    files += shipped_files(ROOT / "examples" / slug)
    files += sorted((ROOT / "tests" / slug).glob("*.py"))
    left = [
        f"{path.relative_to(ROOT)}:{number}: {text}"
        for path in files
        if path.is_file() and path.suffix in {".md", ".py", ".toml", ".txt", ".sql", ".sh", ""}
        for number, text in placeholders(path)
    ]
    if left:
        pytest.fail(
            f"{len(left)} {PLACEHOLDER} placeholders left for docs/{slug}.md; replace each with "
            "what it asks for:\n  " + "\n  ".join(left),
            pytrace=False,
        )


def factor_pages() -> list[str]:
    """The slugs of mkdocs.yml's "The twelve factors" section."""

    class Loader(yaml.SafeLoader):
        """mkdocs.yml holds `!!python/...` tags; this test reads only its nav."""

    Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    nav = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=Loader)["nav"]
    section = next(entry["The twelve factors"] for entry in nav if "The twelve factors" in entry)
    return [Path(next(iter(item.values()))).stem for item in section]


FACTOR_PAGES = factor_pages()
IN_THE_REVISION = "## In the revision {#in-the-revision}"


def section_line(lines: list[str], anchor: str) -> int | None:
    """The index of the `## ` heading whose explicit id is `anchor` (`{#id}` or `{ #id }`)."""
    heading = re.compile(rf"^##\s.*\{{\s*#{re.escape(anchor)}\s*\}}\s*$")
    return next((i for i, line in enumerate(lines) if heading.match(line)), None)


def test_the_factor_pages_are_found():
    """The nav section this check reads still lists the twelve factors."""
    assert len(FACTOR_PAGES) >= 12, f"mkdocs.yml's 'The twelve factors' lists {FACTOR_PAGES}"


@pytest.mark.parametrize("slug", FACTOR_PAGES)
def test_every_factor_page_says_what_the_revision_changed(slug: str):
    """A factor page has its "In the revision" section, before "Further reading"."""
    lines = (DOCS_DIR / f"{slug}.md").read_text().splitlines()
    stripped = [line.strip() for line in lines]
    if IN_THE_REVISION not in stripped:
        pytest.fail(
            f'docs/{slug}.md has no "{IN_THE_REVISION}" section: add one before "Further reading" '
            "saying what the revised text (twelve-factor/twelve-factor) changes, at which "
            "commit or PR, settled or proposed, and which of the page's claims cover it",
        )
    further = [i for i, line in enumerate(stripped) if line.startswith("## Further reading")]
    if further and further[0] < stripped.index(IN_THE_REVISION):
        pytest.fail(
            f'docs/{slug}.md has "In the revision" after "Further reading": move it before',
            pytrace=False,
        )


@pytest.mark.parametrize("slug", FACTOR_PAGES)
def test_every_factor_page_says_what_it_means(slug: str):
    """A factor page explains its rule under "What it means", before "Why it matters"."""
    lines = (DOCS_DIR / f"{slug}.md").read_text().splitlines()
    means, matters = section_line(lines, "what-it-means"), section_line(lines, "why-it-matters")
    if means is None:
        pytest.fail(
            f'docs/{slug}.md has no "## What it means {{#what-it-means}}" section: add one after '
            "the rule, saying in our own words what the factor asks of an app (12factor.net's "
            "facts, not its sentences)",
            pytrace=False,
        )
    if matters is not None and matters < means:
        pytest.fail(
            f'docs/{slug}.md has "What it means" after "Why it matters": move it before',
            pytrace=False,
        )
