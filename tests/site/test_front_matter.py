"""Every page's front matter is valid YAML, so that no builder drops its title or description.

MkDocs silently ignores front matter it cannot parse (the page then carries
the site's default description and takes its title from its H1); Zensical
refuses to build. A plain scalar holding `word: word` is the usual cause:
quote such a value.
"""

import re
from html import unescape
from pathlib import Path

import pytest
import yaml

from proven.paths import DOCS_DIR
from proven.site.build import PAGES

SOURCES = sorted(p for p in DOCS_DIR.rglob("*.md") if "hooks" not in p.parts)


class StrictLoader(yaml.SafeLoader):
    """Safe YAML that also refuses a key given twice (PyYAML otherwise keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        """The mapping, or a ConstructorError on a duplicate key."""
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        twice = sorted({str(key) for key in keys if keys.count(key) > 1})
        if twice:
            raise yaml.constructor.ConstructorError(
                None, None, f"keys given twice: {', '.join(twice)}", node.start_mark
            )
        return super().construct_mapping(node, deep=deep)


def front_matter(page: Path) -> str | None:
    """The text between a page's opening `---` line and the next `---` or `...` line."""
    lines = page.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].rstrip() != "---":
        return None
    for number, line in enumerate(lines[1:], 1):
        if line.rstrip() in ("---", "..."):
            return "\n".join(lines[1:number])
    pytest.fail(f"{page.relative_to(DOCS_DIR.parent)}: front matter has no closing `---` line")


@pytest.mark.parametrize("page", SOURCES, ids=lambda p: p.relative_to(DOCS_DIR).as_posix())
def test_front_matter_is_strict_yaml(page: Path):
    """It parses as one mapping, no key twice, with a non-empty string title and description."""
    text = front_matter(page)
    if text is None:
        return
    where = page.relative_to(DOCS_DIR.parent)
    try:
        meta = yaml.load(text, Loader=StrictLoader)
    except yaml.YAMLError as error:
        pytest.fail(
            f"{where}: its front matter is not valid YAML, so MkDocs drops its title and "
            f"description and Zensical refuses to build; quote the value: {error}",
            pytrace=False,
        )
    assert isinstance(meta, dict), f"{where}: front matter is not a mapping"
    for key in ("title", "description"):
        if key in meta:
            assert isinstance(meta[key], str) and meta[key].strip(), f"{where}: empty {key}"


@pytest.mark.parametrize("page", PAGES)
def test_built_page_carries_its_own_description(built_site: Path, page: str):
    """The MkDocs build uses the page's description, not the site's default, where it has one."""
    source = DOCS_DIR / ("index.md" if page == "/" else page.strip("/") + ".md")
    text = front_matter(source)
    description = (yaml.safe_load(text) or {}).get("description") if text else None
    if not description:
        return
    html = (built_site / page.lstrip("/") / "index.html").read_text(encoding="utf-8")
    shown = re.search(r'<meta name="description" content="([^"]*)">', html)
    assert shown and unescape(shown[1]) == description, page
