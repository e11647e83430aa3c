"""What a built page shows, read from its HTML: for comparing the MkDocs and Zensical builds."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "wbr",
}
"""Elements that have no end tag."""


@dataclass
class ClaimBox:
    """One claim box: its id, its sentence, what was observed, and all of its text."""

    id: str
    sentence: str = ""
    observed: list[str] = field(default_factory=list)
    text: str = ""


@dataclass
class PageFacts:
    """The heading anchors and the claim boxes of one built page, in page order."""

    headings: list[str] = field(default_factory=list)
    anchors: list[str] = field(default_factory=list)
    """Every other id inside the page's article (old reference anchors, claims, ...)."""
    claims: list[ClaimBox] = field(default_factory=list)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class _Reader(HTMLParser):
    """Collects PageFacts from the page's `<article>` (the content, not the theme around it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.facts = PageFacts()
        self.stack: list[str] = []
        self.article = -1
        self.claim: ClaimBox | None = None
        self.claim_depth = -1
        self.strong: list[str] | None = None
        self.item: list[str] | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "article" and self.article < 0:
            self.article = len(self.stack)
        anchor = attributes.get("id")
        if self.article >= 0 and anchor:
            if tag in HEADINGS:
                self.facts.headings.append(anchor)
            else:
                self.facts.anchors.append(anchor)
        if tag == "div" and "claim" in classes and anchor and self.claim is None:
            self.claim, self.claim_depth, self.text = ClaimBox(anchor), len(self.stack), []
        elif self.claim is not None:
            if tag == "strong" and not self.claim.sentence and self.strong is None:
                self.strong = []
            if tag == "li":
                self.item = []
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or tag not in self.stack:
            return
        while self.stack and self.stack.pop() != tag:
            pass
        if self.claim is not None:
            if tag == "strong" and self.strong is not None:
                self.claim.sentence, self.strong = _squash("".join(self.strong)), None
            elif tag == "li" and self.item is not None:
                self.claim.observed.append(_squash("".join(self.item)))
                self.item = None
            if len(self.stack) == self.claim_depth:
                self.claim.text = _squash("".join(self.text))
                self.facts.claims.append(self.claim)
                self.claim = None
        if len(self.stack) == self.article:
            self.article = -1

    def handle_data(self, data: str) -> None:
        if self.claim is not None:
            self.text.append(data)
            for part in (self.strong, self.item):
                if part is not None:
                    part.append(data)


def page_facts(html: str) -> PageFacts:
    """The heading anchors, other anchors and claim boxes of one page's HTML."""
    reader = _Reader()
    reader.feed(html)
    return reader.facts


def built_pages(site: Path) -> dict[str, Path]:
    """Every HTML page of a built site, by its path from the site's root."""
    return {page.relative_to(site).as_posix(): page for page in sorted(site.rglob("*.html"))}
