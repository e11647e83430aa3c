"""Python-Markdown extension: old anchors of the harness reference keep working.

The harness was the `harness` package under `tests/`, documented on one page,
`/reference/`. It is now `proven` under `src/`, documented on `/reference/` (the
fixtures) and a page per group of modules (`/reference/processes/`, ...). So:

- each element with `id="proven.…"` (mkdocstrings' output) gets an empty
  `<a id="harness.…">` before it, for links written before the rename;
- the line `!moved-anchors` (on `/reference/`, and on `/reference/check/`,
  whose checks moved to `/reference/checks/`) becomes the map of module to
  page, read from the `::: proven.<module>` lines of `docs/reference/*.md`,
  which `docs/assets/reference-anchors.js` uses to send
  `/reference/#harness.processes.AppProcess` or
  `/reference/#proven.processes.AppProcess` on to `/reference/processes/#proven.…`,
  and `/reference/check/#proven.check.checks.Runner` on to `/reference/checks/#…`.

A Markdown extension rather than a MkDocs hook, so that MkDocs and Zensical
build the same anchors. Its postprocessor runs at priority 25, after
Python-Markdown's raw-HTML postprocessor (30) has put mkdocstrings' output in
the page. Paths are relative to the working directory. It imports the standard
library and Python-Markdown only.
"""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor

MAP_LINE = "!moved-anchors"
"""The line of `/reference/` that becomes the map of module to page."""

_OPENING_TAG_WITH_ID = re.compile(
    r'<(?P<tag>[a-z][a-z0-9]*)(?P<attrs>[^>]*?) id="proven\.(?P<name>[^"]+)"'
)
_MODULE_LINE = re.compile(r"^::: proven\.(?P<module>[a-z_]+(?:\.[a-z_]+)*)\s*$", re.MULTILINE)


def moved_pages(docs_dir: Path) -> dict[str, str]:
    """Each module documented on a page of `docs/reference/`, and that page's URL there.

    Example:
        ```python
        from proven.paths import DOCS_DIR
        from proven.site.anchors_extension import moved_pages

        assert moved_pages(DOCS_DIR)["processes"] == "processes/"
        assert moved_pages(DOCS_DIR)["check.checks"] == "checks/"
        ```
    """
    pages: dict[str, str] = {}
    for page in sorted((docs_dir / "reference").glob("*.md")):
        for found in _MODULE_LINE.finditer(page.read_text(encoding="utf-8")):
            pages[found["module"]] = f"{page.stem}/"
    return pages


def old_anchors(html: str) -> str:
    """`html` with an empty `<a id="harness.…">` before each element whose id is `proven.…`.

    Example:
        ```python
        from proven.site.anchors_extension import old_anchors

        html = old_anchors('<h2 id="proven.soak.Stateful">Stateful</h2>')
        assert html.startswith('<a id="harness.soak.Stateful"></a><h2 id="proven.soak')
        ```
    """
    return _OPENING_TAG_WITH_ID.sub(lambda m: f'<a id="harness.{m["name"]}"></a>{m.group(0)}', html)


class MapPreprocessor(Preprocessor):
    """Replaces the `!moved-anchors` line with the hidden map of module to page."""

    def __init__(self, md: Markdown, docs_dir: Path) -> None:
        super().__init__(md)
        self.docs_dir = docs_dir

    def run(self, lines: list[str]) -> list[str]:
        """The page's lines, the map line replaced."""
        if MAP_LINE not in lines:
            return lines
        pages = escape(json.dumps(moved_pages(self.docs_dir), sort_keys=True), quote=True)
        element = f'<div id="moved-anchors" hidden data-pages="{pages}"></div>'
        return [element if line == MAP_LINE else line for line in lines]


class OldAnchorsPostprocessor(Postprocessor):
    """Adds the old `harness.…` anchor before every `proven.…` id of the page."""

    def run(self, text: str) -> str:
        """The page's HTML with the old anchors."""
        return old_anchors(text) if 'id="proven.' in text else text


class AnchorsExtension(Extension):
    """Registers the map preprocessor and the old-anchors postprocessor (priority 25)."""

    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "docs_dir": ["docs", "The pages' folder, relative to the working directory."],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        """Register both processors on `md`."""
        docs_dir = Path(self.getConfig("docs_dir"))
        md.preprocessors.register(MapPreprocessor(md, docs_dir), "proven_moved_anchors", 33)
        md.postprocessors.register(OldAnchorsPostprocessor(md), "proven_old_anchors", 25)


def makeExtension(**kwargs: Any) -> AnchorsExtension:  # noqa: N802 (Python-Markdown's name)
    """The extension, as Python-Markdown loads it by module name."""
    return AnchorsExtension(**kwargs)
