"""Every claim that must show a timeline does, drawn from its current record, small and labelled.

The claims are listed once, in `proven.site.timelines.TIMELINE_CLAIMS`. A
proof records its timeline with `observe(..., timeline=...)`; `pytest
--update-observations` stores it with the observation and draws the picture,
`docs/assets/timelines/<claim-id>.svg`. These tests fail when a listed claim
has no timeline, when its record is stale (the picture would show a run of
code that has changed since), when a shipped picture is not exactly the
drawing of its record, when a picture is over 6 KB gzip, and when it is not
an SVG with `role="img"`, a `<title>` and a `<desc>` holding the observation.
"""

import gzip
import xml.etree.ElementTree as ElementTree

import pytest

from proven.claims import collect_claims
from proven.observations import load_observations, problem
from proven.paths import DOCS_DIR, ROOT
from proven.site.timelines import (
    MAX_GZIP,
    PICTURES,
    TIMELINE_CLAIMS,
    draw,
    picture_path,
    stored_timelines,
)

CLAIMS = {found.id: found for found in collect_claims()}
STORED = stored_timelines()
SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("claim_id", TIMELINE_CLAIMS)
def test_every_listed_claim_has_a_current_timeline(claim_id: str):
    """The claim exists, its stored observation has a timeline, and that record is current."""
    found = CLAIMS.get(claim_id)
    assert found is not None, f"TIMELINE_CLAIMS lists {claim_id}, which no proof declares"
    seen = load_observations(found.page).get(claim_id)
    if seen is None or not seen.timeline:
        pytest.fail(
            f"claim '{claim_id}' has no timeline: record one in {found.node_id} "
            "(observe(bad=..., good=..., timeline=...), see CONTRIBUTING.md#timelines), then "
            "run it with --update-observations",
            pytrace=False,
        )
    reason = problem(found, seen)
    if reason:
        pytest.fail(f"its picture would be drawn from a stale record: {reason}", pytrace=False)


def test_every_stored_timeline_is_listed():
    """A proof that records a timeline is on the list: the list stays the truth."""
    unlisted = sorted(claim_id for claim_id in STORED if claim_id not in TIMELINE_CLAIMS)
    assert not unlisted, (
        f"these claims store a timeline but TIMELINE_CLAIMS does not list them: "
        f"{', '.join(unlisted)}; add them in src/proven/site/timelines.py"
    )


@pytest.mark.parametrize("claim_id", sorted(STORED))
def test_shipped_picture_is_the_drawing_of_its_record(claim_id: str):
    """The file is exactly what the stored record draws: never edited by hand, never behind."""
    path = picture_path(claim_id)
    shipped = path.read_text(encoding="utf-8") if path.is_file() else None
    assert shipped == draw(STORED[claim_id]), (
        f"{path.relative_to(ROOT)} is not the drawing of the timeline stored for '{claim_id}'; "
        "draw it again: .venv/bin/python -m proven.site.timelines"
    )


def test_no_picture_without_a_record():
    """Every shipped picture belongs to a stored timeline."""
    orphans = sorted(p.name for p in (DOCS_DIR / PICTURES).glob("*") if p.stem not in STORED)
    assert not orphans, (
        f"{PICTURES} holds pictures of no stored timeline: {', '.join(orphans)}; "
        "remove them: .venv/bin/python -m proven.site.timelines"
    )


@pytest.mark.parametrize("claim_id", sorted(STORED))
def test_picture_is_at_most_6_kb_gzip(claim_id: str):
    """Each picture costs a reader at most 6 KB, compressed as the site is served."""
    size = len(gzip.compress(draw(STORED[claim_id]).encode(), 9))
    assert size <= MAX_GZIP, f"the picture of '{claim_id}' is {size} bytes gzip (> {MAX_GZIP})"


@pytest.mark.parametrize("claim_id", sorted(STORED))
def test_picture_is_a_labelled_svg_with_the_observed_numbers(claim_id: str):
    """Valid SVG, `role="img"`, a title and a description that holds both observation lines."""
    seen = STORED[claim_id]
    root = ElementTree.fromstring(draw(seen))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text
    assert desc is not None and seen.bad in desc.text and seen.good in desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert root.find(f".//{SVG}script") is None
