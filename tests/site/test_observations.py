"""Every claim box shows what its proof observed, and that observation is current.

A proof records what it saw with `observe(bad=..., good=...)`; `pytest
--update-observations` stores it in `tests/<page>/observations.json` with a
fingerprint of what ran. These tests fail when a claim has no stored
observation, when the proof, its examples or the harness changed since it was
stored, or when a stored observation names no claim.
"""

import pytest

from proven.claims import collect_claims
from proven.observations import load_observations, observations_file, problem

CLAIMS = collect_claims()
PAGES = sorted({found.page for found in CLAIMS})


@pytest.mark.parametrize("found", CLAIMS, ids=lambda c: c.id)
def test_every_claim_has_a_current_observation(found):
    """The stored observation exists, names both twins, and matches the tree's fingerprint."""
    reason = problem(found, load_observations(found.page).get(found.id))
    if reason:
        pytest.fail(reason, pytrace=False)


@pytest.mark.parametrize("page", PAGES)
def test_every_stored_observation_names_a_claim_of_its_page(page):
    """No stored observation outlives its claim (a renamed or moved proof)."""
    own = {found.id for found in CLAIMS if found.page == page}
    orphans = sorted(set(load_observations(page)) - own)
    if orphans:
        pytest.fail(
            f"{observations_file(page).relative_to(observations_file(page).parents[2])} holds "
            f"observations of claims its page does not declare: {', '.join(orphans)}; delete "
            "them (or rerun the page's proofs with --update-observations, which drops them)",
            pytrace=False,
        )
