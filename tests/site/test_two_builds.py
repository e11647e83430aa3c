"""MkDocs and Zensical build the same site: the same pages, claim boxes, anchors and titles.

MkDocs builds the deploy (`mkdocs build --strict`, Netlify); Zensical, the
successor of Material for MkDocs, reads the same `mkdocs.yml` and runs the
same Markdown extensions but none of the MkDocs hooks. Everything a page
shows comes from the extensions, so both builds must show the same. What the
hooks do (docs/hooks/) makes pages lighter only; the differences that remain
are listed in `ALLOWED`, each with its reason.
"""

import re
from pathlib import Path

import pytest

from proven.claims import collect_claims
from proven.paths import DOCS_DIR
from proven.site.build import PAGES
from proven.site.compare import built_pages, page_facts
from proven.site.timelines import PICTURES, picture_path, stored_timelines

ALLOWED = {
    "__skip": "an id Zensical's theme puts inside the article, as the target of its "
    "skip-to-content link; Material's skip link points at the article's first heading",
}
"""Ids found in one build's article and not the other's, and why that is right."""


def html_of(site: Path, page: str) -> str:
    """The built HTML of a page given as its URL path (`/`, `/processes/`)."""
    return (site / page.lstrip("/") / "index.html").read_text(encoding="utf-8")


def source_of(page: str) -> Path:
    """The Markdown source of a page given as its URL path."""
    return DOCS_DIR / ("index.md" if page == "/" else page.strip("/") + ".md")


def test_both_builds_have_the_same_pages(built_site: Path, zensical_site: Path):
    """Every HTML file of one build is in the other, and every page of docs/ is in both."""
    mkdocs, zensical = set(built_pages(built_site)), set(built_pages(zensical_site))
    assert sorted(mkdocs ^ zensical) == [], "pages built by only one of MkDocs and Zensical"
    assert {f"{page.lstrip('/')}index.html" for page in PAGES} <= mkdocs


@pytest.mark.parametrize("page", PAGES)
def test_both_builds_show_the_same_claim_boxes(built_site: Path, zensical_site: Path, page: str):
    """The same claim ids in the same order, each with its sentence, observations and text."""
    mkdocs = page_facts(html_of(built_site, page)).claims
    zensical = page_facts(html_of(zensical_site, page)).claims
    assert [c.id for c in zensical] == [c.id for c in mkdocs]
    for ours, theirs in zip(mkdocs, zensical, strict=True):
        assert ours.sentence and theirs.sentence == ours.sentence, ours.id
        assert ours.observed and theirs.observed == ours.observed, ours.id
        assert theirs.text == ours.text, ours.id


def test_both_builds_ship_the_same_timeline_pictures(built_site: Path, zensical_site: Path):
    """Each stored timeline's picture is in both builds as shipped, and its box loads it lazily."""
    pages = {found.id: found.page for found in collect_claims()}
    for claim_id in stored_timelines():
        shipped = picture_path(claim_id).read_bytes()
        for site in (built_site, zensical_site):
            assert (site / PICTURES / f"{claim_id}.svg").read_bytes() == shipped, (site, claim_id)
            html = html_of(site, f"/{pages[claim_id]}/")
            image = re.search(rf'<img [^>]*src="\.\./{PICTURES}/{claim_id}\.svg"[^>]*>', html)
            assert image and 'loading="lazy"' in image[0], (site, claim_id)


@pytest.mark.parametrize("page", PAGES)
def test_both_builds_have_the_same_anchors(built_site: Path, zensical_site: Path, page: str):
    """Heading ids in the same order, and every other id of the article, but for `ALLOWED`."""
    mkdocs = page_facts(html_of(built_site, page))
    zensical = page_facts(html_of(zensical_site, page))
    assert zensical.headings == mkdocs.headings
    differ = set(mkdocs.anchors) ^ set(zensical.anchors)
    assert sorted(differ - set(ALLOWED)) == [], "ids in one build's article only"


@pytest.mark.parametrize("page", PAGES)
def test_both_builds_give_the_same_title_and_description(
    built_site: Path, zensical_site: Path, page: str
):
    """The page's `<title>` and description (from its front matter) are the same in both."""

    def head(site: Path) -> list[str]:
        html = html_of(site, page)
        return re.findall(r'<title>[^<]*</title>|<meta name="description" content="[^"]*">', html)

    assert head(zensical_site) == head(built_site)


def test_every_claim_is_shown_by_zensical(zensical_site: Path):
    """Every claim a proof declares is a box on its page; no `!proof` line is left as text."""
    shown = {
        claim.id: page
        for page in PAGES
        for claim in page_facts(html_of(zensical_site, page)).claims
    }
    declared = {found.id: f"/{found.page}/" for found in collect_claims()}
    assert shown == declared
    # The pages that write markers; a docstring on /reference/project/ shows one as an example.
    marked = [page for page in PAGES if "\n!proof" in source_of(page).read_text(encoding="utf-8")]
    raw = [page for page in marked if "<p>!proof" in html_of(zensical_site, page)]
    assert marked and raw == [], "pages where a `!proof` line was left as text"
