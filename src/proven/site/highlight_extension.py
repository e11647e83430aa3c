"""Python-Markdown extension: lighter code blocks, without the highlight spans that show nothing.

Pygments wraps every name in `<span class="n">` and every run of whitespace in
`<span class="w">`. Material colours `.n` and `.kc` (`True`, `False`, `None`)
with `--md-code-hl-name-color`, which both of its palettes set to
`--md-code-fg-color`, the colour of unwrapped code text, and gives `.w` no
style at all. The spans are a fifth of the weight of a page of proofs (a
stateless-processes page carries about 1,400 of them) and show nothing, so
they go. Pygments also cuts a string into spans of its parts (an f-string's
text, each `{` and `}`), which Material gives one colour,
`--md-code-hl-string-color`: each run of them becomes one span. Every other
token keeps its span and its colour.

A Markdown extension rather than a MkDocs hook, so that Zensical's pages are
as light. Its postprocessor runs at priority 25, after Python-Markdown's
raw-HTML postprocessor (30) has put the highlighted blocks (stashed by
`pymdownx.superfences`) in the page. It imports Python-Markdown only.
"""

from __future__ import annotations

import re
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor

_INVISIBLE_SPAN = re.compile(r'<span class="(?:n|w|kc)">([^<]*)</span>')
_STRING = '<span class="(?:l|s|s1|s2|sc|si|ss)">[^<]*</span>'
_STRING_RUN = re.compile(f"{_STRING}(?:{_STRING})+")
"""Two or more string spans in a row: Material colours all of these classes alike."""
_TAG = re.compile("<[^>]+>")


def unwrap_invisible_spans(html: str) -> str:
    """`html` without the `n`, `w` and `kc` highlight spans, and each string's spans as one.

    Example:
        ```python
        from proven.site.highlight_extension import unwrap_invisible_spans

        html = '<span class="n">app</span><span class="o">.</span><span class="n">run</span>'
        assert unwrap_invisible_spans(html) == 'app<span class="o">.</span>run'
        f_string = '<span class="s2">"a </span><span class="si">{</span>n<span class="si">}</span>'
        joined = unwrap_invisible_spans(f_string)
        assert joined == '<span class="s2">"a {</span>n<span class="si">}</span>'
        ```
    """
    html = _INVISIBLE_SPAN.sub(r"\1", html)
    return _STRING_RUN.sub(
        lambda run: run[0][: run[0].index(">") + 1] + _TAG.sub("", run[0]) + "</span>", html
    )


class InvisibleSpansPostprocessor(Postprocessor):
    """Unwraps the highlight spans of the page that show nothing, and joins its string runs."""

    def run(self, text: str) -> str:
        """The page's HTML without them."""
        return unwrap_invisible_spans(text)


class HighlightExtension(Extension):
    """Registers the postprocessor at priority 25, after the raw-HTML postprocessor."""

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        """Register the postprocessor on `md`."""
        md.postprocessors.register(InvisibleSpansPostprocessor(md), "proven_invisible_spans", 25)


def makeExtension(**kwargs: Any) -> HighlightExtension:  # noqa: N802 (Python-Markdown's name)
    """The extension, as Python-Markdown loads it by module name."""
    return HighlightExtension(**kwargs)
