"""Old anchors keep working: the harness reference's ids from before the package was renamed.

The harness was the `harness` package under `tests/` and is now `proven` under `src/`,
so mkdocstrings names its headings `#proven.processes.AppProcess` where links out
there say `#harness.processes.AppProcess`. Anchors are a public API: each
`id="proven.…"` on the reference page gets an empty `<a id="harness.…">` before it.
"""

from __future__ import annotations

import re

from mkdocs.structure.pages import Page

REFERENCE = "reference.md"
"""The page whose anchors were renamed."""

_OPENING_TAG_WITH_ID = re.compile(
    r'<(?P<tag>[a-z][a-z0-9]*)(?P<attrs>[^>]*?) id="proven\.(?P<name>[^"]+)"'
)


def on_page_content(html: str, page: Page, **_: object) -> str:
    """Before each element with id `proven.<name>`, an anchor with its old id `harness.<name>`."""
    if page.file.src_uri != REFERENCE:
        return html
    return _OPENING_TAG_WITH_ID.sub(lambda m: f'<a id="harness.{m["name"]}"></a>{m.group(0)}', html)
