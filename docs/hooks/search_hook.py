"""MkDocs hook: keep what a first visit downloads small.

A reader usually arrives from a link, reads one page and leaves; every byte a
page fetches counts against the first-load budget (see
`tools/benchmark/site_budgets.py`). Two things here:

- Code blocks stay out of the search index. Most of a page's text is code
  included from `examples/` and `tests/`, which readers do not search for:
  the prose around it names the same things. While Material's search plugin
  indexes a page, each highlighted code block is set aside and an empty
  element marked `data-search-exclude` stands in its place; the block goes
  back once the page is indexed. (Setting the blocks aside rather than only
  marking them also spares the indexer parsing every highlighted token: a
  quarter of the build's time.) The index itself is only fetched when the
  reader first asks for search: `overrides/partials/search-on-demand.html`.
- mkdocstrings adds its stylesheet to every page; only a page that shows
  mkdocstrings output (the harness reference) links it.
- Material's stylesheets carry the rules of every feature and colour it has.
  After the build, a rule is dropped when one of the classes it requires (or
  the value of an exact attribute test, such as a primary colour) appears
  nowhere in the built pages or in Material's scripts (which create the
  search results, the copy button and the like), so it can never apply; a
  `[dir=rtl]` rule goes unless a page sets that direction.
  Rules inside `:not()`, `:is()` and other parentheses are kept as they
  are. The trimmed file gets a name with its own content hash, so the
  year-long cache in netlify.toml stays right, and every page links it.

Nothing here changes what a page shows. Zensical runs no MkDocs hooks, and
its pages show the same (tests/site/test_two_builds.py), only heavier
(measured with Zensical 0.0.73, gzip): its search index keeps the code
blocks, 179 KB instead of 115 KB, and its theme fetches the index on every
first visit (the search-on-demand partial is Material's); its stylesheets
are not trimmed, 25 KB instead of 16 KB. It links no mkdocstrings stylesheet.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext

# A highlighted code block holds no other <div>, so it ends at the first </div>.
CODE_BLOCK = re.compile(r'<div class="(?:language-[\w+-]+ )?highlight">.*?</div>', re.S)
STAND_IN = '<div data-search-exclude="code">code-block-{}</div>'
STAND_IN_BACK = re.compile(r'<div(?: data-search-exclude="code")?>code-block-(\d+)</div>')
_set_aside: dict[str, list[str]] = {}
MKDOCSTRINGS_CSS = re.compile(r'\s*<link rel="stylesheet" href="[^"]*assets/_mkdocstrings\.css">')
MKDOCSTRINGS_OUTPUT = 'class="doc doc-'


@event_priority(-100)  # after every other plugin's on_page_content
def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Set the page's highlighted code blocks aside, each behind an excluded stand-in."""
    blocks = _set_aside[page.file.src_uri] = []

    def stand_in(block: re.Match[str]) -> str:
        blocks.append(block[0])
        return STAND_IN.format(len(blocks) - 1)

    return CODE_BLOCK.sub(stand_in, html)


@event_priority(-100)  # after Material's search plugin has indexed the page
def on_page_context(
    context: TemplateContext, page: Page, config: MkDocsConfig, nav: Navigation
) -> TemplateContext:
    """Put the code blocks back in place of their stand-ins."""
    blocks = _set_aside.pop(page.file.src_uri, [])
    page.content = STAND_IN_BACK.sub(lambda m: blocks[int(m[1])], page.content or "")
    return context


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


WORD = re.compile(r"[\w-]+")
CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
EXACT_ATTRIBUTE = re.compile(r"\[[\w-]+=[\"']?([^\"'\]]*)[\"']?\]")
DIRECTION = re.compile(r'\sdir="(\w+)"')
STYLESHEETS = ("main", "palette")


def _blocks(css: str) -> list[tuple[str, str | None]]:
    """Top-level (prelude, body) pairs of a stylesheet; body is None for `@import ...;`."""
    out: list[tuple[str, str | None]] = []
    i, n = 0, len(css)
    while i < n:
        j, quote = i, ""
        while j < n:
            c = css[j]
            if quote:
                j += c == "\\"
                quote = "" if c == quote else quote
            elif c in "\"'":
                quote = c
            elif c in "{;":
                break
            j += 1
        if j >= n:
            break
        prelude = css[i:j].strip()
        if css[j] == ";":
            out.append((prelude, None))
            i = j + 1
            continue
        k, depth = j + 1, 1
        while k < n and depth:
            c = css[k]
            if quote:
                k += c == "\\"
                quote = "" if c == quote else quote
            elif c in "\"'":
                quote = c
            elif c in "{}":
                depth += 1 if c == "{" else -1
            k += 1
        out.append((prelude, css[j + 1 : k - 1]))
        i = k
    return out


def _selectors(prelude: str) -> list[str]:
    """A selector list split at its top-level commas."""
    parts, depth, current = [], 0, ""
    for c in prelude:
        depth += (c in "([") - (c in ")]")
        if c == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += c
    return [*parts, current]


def _required_words(selector: str) -> set[str]:
    """Words the site must contain for `selector` to match anything.

    The selector's classes, and the values of its exact `[attribute=value]`
    tests (such as `[data-md-color-primary=pink]`); anything inside
    parentheses (`:not(...)`, `:is(...)`) or other attribute tests is ignored.
    """
    outside, depth = "", 0
    for c in selector:
        depth += c == "("
        if depth == 0:
            outside += c
        depth -= c == ")"
    values = {value for value in EXACT_ATTRIBUTE.findall(outside) if WORD.fullmatch(value)}
    return set(CLASS.findall(re.sub(r"\[[^\]]*\]", "", outside))) | values


def trim_stylesheet(css: str, used: set[str]) -> str:
    """`css` without the style rules whose every selector needs a class not in `used`."""
    out = []
    for prelude, body in _blocks(css):
        if body is None:
            out.append(prelude + ";")
        elif prelude.startswith(("@media", "@supports", "@layer", "@container")):
            inner = trim_stylesheet(body, used)
            if inner:
                out.append(prelude + "{" + inner + "}")
        elif prelude.startswith("@"):
            out.append(prelude + "{" + body + "}")
        else:
            keep = [s for s in _selectors(prelude) if _required_words(s) <= used]
            if keep:
                out.append(",".join(keep) + "{" + body + "}")
    return "".join(out)


def on_post_build(config: MkDocsConfig) -> None:
    """Trim Material's stylesheets to the classes the built site can use, under new names."""
    site = Path(config.site_dir)
    pages = list(site.rglob("*.html"))
    text = [p.read_text(encoding="utf-8") for p in pages]
    directions = set(DIRECTION.findall("\n".join(text)))
    text += [p.read_text(encoding="utf-8") for p in (site / "assets/javascripts").rglob("*.js")]
    # A text direction applies only where a page sets it: Material's scripts read `dir`
    # (to place the copy button's textarea), they never set it.
    used = set(WORD.findall("\n".join(text))) - ({"ltr", "rtl"} - directions)
    renamed = {}
    for name in STYLESHEETS:
        for old in (site / "assets/stylesheets").glob(f"{name}.*.min.css"):
            css = re.sub(r"/\*# sourceMappingURL=.*?\*/", "", old.read_text(encoding="utf-8"))
            trimmed = trim_stylesheet(css, used).encode()
            new = old.with_name(f"{name}.{hashlib.sha256(trimmed).hexdigest()[:8]}.min.css")
            new.write_bytes(trimmed)
            old.unlink()
            old.with_name(old.name + ".map").unlink(missing_ok=True)
            renamed[old.name] = new.name
    for page in pages:
        html = original = page.read_text(encoding="utf-8")
        for old_name, new_name in renamed.items():
            html = html.replace(f"assets/stylesheets/{old_name}", f"assets/stylesheets/{new_name}")
        if html != original:
            page.write_text(html, encoding="utf-8")
