"""The site builds with `mkdocs build --strict`: no broken link, anchor, include or claim."""

from site_build import build_site


def test_strict_build_has_no_warnings(tmp_path):
    """Build the whole site strictly (never with -v: MkDocs 1.6.1 then skips the anchor check).

    Under `--strict` any warning fails the build, and `build_site` raises with its output.
    """
    assert (build_site(tmp_path) / "index.html").is_file()
