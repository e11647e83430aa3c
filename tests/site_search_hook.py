"""MkDocs hook: keep what a first visit downloads small.

A reader usually arrives from a link, reads one page and leaves; every byte a
page fetches counts against the first-load budget (see
`tests/benchmark/site_budgets.py`). Two things here:

- Code blocks stay out of the search index. Most of a page's text is code
  included from `examples/` and `tests/`, which readers do not search for:
  the prose around it names the same things. Each highlighted code block is
  marked with `data-search-exclude`, which Material's search plugin skips when
  it indexes the page and then removes from the HTML. (The index itself is
  only fetched when the reader first asks for search:
  `overrides/partials/search-on-demand.html`.)
- mkdocstrings adds its stylesheet to every page; only a page that shows
  mkdocstrings output (the harness reference) links it.

Under a builder that does not run MkDocs hooks (Zensical), the site still
works: the index is larger and every page links the stylesheet.
"""

from __future__ import annotations

import re

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

CODE_BLOCK = re.compile(r'<div class="(?P<cls>(?:language-[\w+-]+ )?highlight)"')
MKDOCSTRINGS_CSS = re.compile(r'\s*<link rel="stylesheet" href="[^"]*assets/_mkdocstrings\.css">')
MKDOCSTRINGS_OUTPUT = 'class="doc doc-'


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Add `data-search-exclude` to every highlighted code block of the page."""
    return CODE_BLOCK.sub(r'<div class="\g<cls>" data-search-exclude="code"', html)


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """Drop the link to mkdocstrings' stylesheet from a page that shows no mkdocstrings output."""
    if MKDOCSTRINGS_OUTPUT in output:
        return output
    return MKDOCSTRINGS_CSS.sub("", output, count=1)


def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    """The same for the 404 page, which is rendered from a template, not a page."""
    if MKDOCSTRINGS_OUTPUT in output_content:
        return output_content
    return MKDOCSTRINGS_CSS.sub("", output_content, count=1)
