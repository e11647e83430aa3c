"""Every claim is declared once by a proof and shown on its own page, and vice versa."""

from pathlib import Path

import pytest
from harness.claims import TESTS_DIR, collect_claims, proof_ids_on_page

DOCS = TESTS_DIR.parent / "docs"
CLAIMS = collect_claims()


def test_claim_ids_are_unique():
    """Two proofs cannot declare the same claim id: it is an anchor on a page."""
    ids = [c.id for c in CLAIMS]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


@pytest.mark.parametrize("found", CLAIMS, ids=lambda c: c.id)
def test_every_proof_claim_is_on_its_page(found):
    """A proof in tests/<slug>/ declares a claim that docs/<slug>.md shows."""
    page = DOCS / f"{found.page}.md"
    assert page.is_file(), f"{found.node_id}: tests/{found.page}/ has no page docs/{found.page}.md"
    assert found.id in proof_ids_on_page(page.read_text()), (
        f"{found.node_id}: add the line `!proof {found.id}` to docs/{found.page}.md"
    )


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda p: p.stem)
def test_every_page_claim_has_a_proof(page: Path):
    """Each `!proof <id>` line on a page names a claim declared by a proof for that page."""
    declared = {c.id: c for c in CLAIMS}
    for claim_id in proof_ids_on_page(page.read_text()):
        assert claim_id in declared, f"docs/{page.name}: no proof declares claim '{claim_id}'"
        assert declared[claim_id].page == page.stem, (
            f"docs/{page.name}: claim '{claim_id}' belongs to docs/{declared[claim_id].page}.md"
        )


def test_every_proof_is_a_test_pytest_collects():
    """A claim decorates a function whose name pytest collects (test_*)."""
    assert [c.node_id for c in CLAIMS if not c.test.startswith("test_")] == []
