"""Every claim is declared once by a proof and shown on its own page, and vice versa."""

from pathlib import Path

import pytest

from proven.claims import collect_claims, proof_ids_on_page
from proven.paths import TESTS_DIR

DOCS = TESTS_DIR.parent / "docs"
CLAIMS = collect_claims()


def test_claim_ids_are_unique():
    """Two proofs cannot declare the same claim id: it is an anchor on a page."""
    twice = {c.id: [d.node_id for d in CLAIMS if d.id == c.id] for c in CLAIMS}
    clashes = [f"'{i}' in {' and '.join(where)}" for i, where in twice.items() if len(where) > 1]
    assert not clashes, (
        "claim ids must be unique (each is an anchor); rename one of each: " + "; ".join(clashes)
    )


@pytest.mark.parametrize("found", CLAIMS, ids=lambda c: c.id)
def test_every_proof_claim_is_on_its_page(found):
    """A proof in tests/<slug>/ declares a claim that docs/<slug>.md shows."""
    page = DOCS / f"{found.page}.md"
    assert page.is_file(), (
        f"{found.node_id}: tests/{found.page}/ has no page docs/{found.page}.md; a proof's folder "
        "is the slug of the page that shows its claim: move the proof to tests/<that slug>/"
    )
    assert found.id in proof_ids_on_page(page.read_text()), (
        f"{found.node_id} declares claim '{found.id}', which docs/{found.page}.md does not show: "
        f"add the line `!proof {found.id}` on its own line, below the pair it proves"
    )


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda p: p.stem)
def test_every_page_claim_has_a_proof(page: Path):
    """Each `!proof <id>` line on a page names a claim declared by a proof for that page."""
    declared = {c.id: c for c in CLAIMS}
    for claim_id in proof_ids_on_page(page.read_text()):
        assert claim_id in declared, (
            f"docs/{page.name} shows `!proof {claim_id}`, but no proof declares it: decorate a "
            f'test in tests/{page.stem}/ with @claim("{claim_id}", "<one sentence>"), or '
            "remove the line"
        )
        owner = declared[claim_id]
        assert owner.page == page.stem, (
            f"docs/{page.name} shows claim '{claim_id}' of docs/{owner.page}.md "
            f"({owner.node_id}): link to it, [text]({owner.page}.md#{claim_id}), instead"
        )


def test_every_proof_is_a_test_pytest_collects():
    """A claim decorates a function whose name pytest collects (test_*)."""
    hidden = [c.node_id for c in CLAIMS if not c.test.startswith("test_")]
    assert not hidden, f"pytest does not run these proofs; rename each to test_...: {hidden}"
