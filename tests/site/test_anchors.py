"""Section anchors are a public API: every second-level heading carries an explicit id.

Onboarding docs link `…/config/#why-it-matters`. An id generated from the
heading text would change when someone rewords the heading and silently break
those links; an explicit `{#id}` does not.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "CONTRIBUTING.md"]
HEADING = re.compile(r"^##\s+(?P<text>.*?)\s*$")
EXPLICIT_ID = re.compile(r"\{\s*#(?P<id>[a-z0-9][a-z0-9-]*)\s*\}$")
FENCE = re.compile(r"^\s*(```|~~~)")


def headings(source: Path) -> list[tuple[int, str]]:
    """The `## ` headings of a Markdown file, outside code fences, with line numbers."""
    found, fenced = [], False
    for number, line in enumerate(source.read_text().splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and (match := HEADING.match(line)):
            found.append((number, match["text"]))
    return found


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_every_section_has_an_explicit_id(source: Path):
    """`## Why it matters {#why-it-matters}`, never a bare `## Why it matters`."""
    missing = [
        f"{source.name}:{n}: {text}" for n, text in headings(source) if not EXPLICIT_ID.search(text)
    ]
    assert missing == [], "add an explicit {#id} to these headings"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_section_ids_are_unique_on_a_page(source: Path):
    """Two sections of one page cannot share an anchor."""
    ids = [m["id"] for _, text in headings(source) if (m := EXPLICIT_ID.search(text))]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_every_id_is_unique_on_a_built_page(built_site: Path):
    """No two elements of a page share an id: a link to `#id` lands on one thing.

    A claim box's id is its claim's, so a section heading never takes a claim's
    id (the scaffold writes `{#<scenario>-twins}` for a pair's section).
    """
    twice = {}
    for page in sorted(built_site.rglob("*.html")):
        ids = re.findall(r'\sid="([^"]+)"', page.read_text(encoding="utf-8"))
        if repeated := sorted({i for i in ids if ids.count(i) > 1}):
            twice[str(page.relative_to(built_site))] = repeated
    assert twice == {}, "ids given to two elements of one page"
