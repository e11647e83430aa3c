"""The site builds with `mkdocs build --strict`: no broken link, anchor, include or claim."""

import re
import subprocess
import sys
from pathlib import Path

from proven.paths import ROOT


def test_strict_build_has_no_warnings(built_site: Path):
    """Build the whole site strictly (never with -v: MkDocs 1.6.1 then skips the anchor check).

    Under `--strict` any warning fails the build, and `build_site` raises with its
    output. The build is the one the other site checks use (`built_site`): once per run.
    """
    assert (built_site / "index.html").is_file()


def test_old_reference_anchors_still_land(built_site: Path):
    """Each `#proven.…` anchor of a reference page also answers to its old `#harness.…` name."""
    reference = built_site / "reference"
    for page in [reference / "index.html", *reference.glob("*/index.html")]:
        html = page.read_text()
        current = set(re.findall(r' id="proven\.([^"]+)"', html))
        old = set(re.findall(r' id="harness\.([^"]+)"', html))
        assert current and current == old, (page, sorted(current ^ old)[:10])


def test_site_requirements_pin_what_the_project_pins():
    """docs/requirements.txt (Netlify's) holds no pin that requirements.txt does not hold too."""
    pins = {line for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line}
    site = (ROOT / "docs" / "requirements.txt").read_text().splitlines()
    drifted = [line for line in site if "==" in line and line not in pins]
    assert not drifted, f"pin these in docs/requirements.txt as requirements.txt does: {drifted}"


def test_build_code_imports_no_proof_dependency():
    """The hooks and Markdown extensions load with no pytest, redis, psycopg or requests.

    Netlify's venv (docs/requirements.txt, then the package with `--no-deps`) has none.
    """
    hooks = sorted((ROOT / "docs" / "hooks").glob("*.py"))
    extensions = [f"proven.site.{name}_extension" for name in ("claims", "anchors", "highlight")]
    script = (
        "import importlib, importlib.util, sys\n"
        "for name in sys.argv[1:]:\n"
        "    if not name.endswith('.py'):\n"
        "        importlib.import_module(name).makeExtension()\n"
        "        continue\n"
        "    spec = importlib.util.spec_from_file_location(name, name)\n"
        "    spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "print(' '.join(sorted({'pytest', 'redis', 'psycopg', 'requests'} & set(sys.modules))))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script, *map(str, hooks), *extensions],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    assert hooks and loaded == [], f"the build code imports {loaded}"
