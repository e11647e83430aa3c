"""The site builds with `mkdocs build --strict`: no broken link, anchor, include or claim."""

from pathlib import Path


def test_strict_build_has_no_warnings(built_site: Path):
    """Build the whole site strictly (never with -v: MkDocs 1.6.1 then skips the anchor check).

    Under `--strict` any warning fails the build, and `build_site` raises with its
    output. The build is the one the other site checks use (`built_site`): once per run.
    """
    assert (built_site / "index.html").is_file()
