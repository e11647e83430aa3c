"""Where the project's parts are: the site, the examples, the proofs.

The package is installed in editable mode by the README's set-up command, so
these are folders of the clone it runs from. The check command (`proven check`)
uses none of them: it runs against a team's own app.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT_VARIABLE = "PROVEN_ROOT"
"""Names another copy of the project to prove (the swap check runs the proofs in one)."""

ROOT = Path(os.environ.get(ROOT_VARIABLE) or Path(__file__).resolve().parents[2]).resolve()
"""The project's root: the folder of `mkdocs.yml`, `docs/`, `examples/`, `tests/`."""

DOCS_DIR = ROOT / "docs"
"""The site's pages: `docs/<page-slug>.md`."""

EXAMPLES_DIR = ROOT / "examples"
"""The example pairs: `examples/<page-slug>/<scenario>/{bad,good}/`."""

TESTS_DIR = ROOT / "tests"
"""The proofs: `tests/<page-slug>/test_*.py`."""

PACKAGE_DIR = ROOT / "src" / "proven"
"""This package, `src/proven/`: its modules are part of every proof's fingerprint."""
