"""MkDocs hook: keep code blocks out of the search index.

Material fetches the whole search index on the first visit to any page, so
every byte of it counts against the first-load budget (see
`tests/benchmark/site_budgets.py`). Most of a page's text is code included
from `examples/` and `tests/`, which readers do not search for: the prose
around it names the same things. This marks each highlighted code block with
`data-search-exclude`, which Material's search plugin skips when it indexes
the page and then removes from the HTML.
"""

from __future__ import annotations

import re

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

CODE_BLOCK = re.compile(r'<div class="(?P<cls>(?:language-[\w+-]+ )?highlight)"')


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Add `data-search-exclude` to every highlighted code block of the page."""
    return CODE_BLOCK.sub(r'<div class="\g<cls>" data-search-exclude="code"', html)
