"""Old anchors keep working: the harness reference's ids from before the package was renamed
and the reference was split into a page per group of modules.

The harness was the `harness` package under `tests/`, documented on one page,
`/reference/`. It is now `proven` under `src/`, documented on `/reference/` (the
fixtures) and a page per group of modules (`/reference/processes/`, ...). So:

- each `id="proven.…"` on a reference page gets an empty `<a id="harness.…">`
  before it, for links written before the rename;
- `/reference/` carries the map of module to page (from the pages'
  `::: proven.<module>` lines), which `docs/assets/reference-anchors.js` uses to
  send `/reference/#harness.processes.AppProcess` or
  `/reference/#proven.processes.AppProcess` on to `/reference/processes/#proven.…`.
"""

from __future__ import annotations

import json
import re
from html import escape

from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

REFERENCE = "reference.md"
"""The reference's first page: the fixtures, and where every old anchor pointed."""

_OPENING_TAG_WITH_ID = re.compile(
    r'<(?P<tag>[a-z][a-z0-9]*)(?P<attrs>[^>]*?) id="proven\.(?P<name>[^"]+)"'
)
_MODULE_LINE = re.compile(r"^::: proven\.(?P<module>[a-z_]+)\s*$", re.MULTILINE)

_moved: dict[str, str] = {}


def on_files(files: Files, **_: object) -> Files:
    """Map each module documented on a page under `reference/` to that page's URL."""
    _moved.clear()
    for file in files.documentation_pages():
        if file.src_uri.startswith("reference/"):
            source = file.content_string
            for found in _MODULE_LINE.finditer(source):
                _moved[found["module"]] = file.url.removeprefix("reference/")
    return files


def on_page_content(html: str, page: Page, **_: object) -> str:
    """Old-id anchors on every reference page; the module-to-page map on the first."""
    uri = page.file.src_uri
    if uri != REFERENCE and not uri.startswith("reference/"):
        return html
    html = _OPENING_TAG_WITH_ID.sub(lambda m: f'<a id="harness.{m["name"]}"></a>{m.group(0)}', html)
    if uri == REFERENCE:
        pages = escape(json.dumps(_moved, sort_keys=True), quote=True)
        html += f'<div id="moved-anchors" hidden data-pages="{pages}"></div>'
    return html
