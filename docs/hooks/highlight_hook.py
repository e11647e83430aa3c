"""Lighter code blocks: drop the highlight spans that change nothing on screen.

Pygments wraps every name in `<span class="n">` and every run of whitespace in
`<span class="w">`. Material colours `.n` with `--md-code-hl-name-color`, which
both of its palettes set to `--md-code-fg-color`, the colour of unwrapped code
text, and gives `.w` no style at all. The spans are a fifth of the weight of a
page of proofs (a stateless-processes page carries about 1,400 of them) and
show nothing, so they go; every other token keeps its span and its colour.
"""

from __future__ import annotations

import re

from mkdocs.structure.pages import Page

_INVISIBLE_SPAN = re.compile(r'<span class="(?:n|w)">([^<]*)</span>')


def on_page_content(html: str, page: Page, **_: object) -> str:
    """Unwrap the text of every `n` and `w` highlight span of the page."""
    return _INVISIBLE_SPAN.sub(r"\1", html)
