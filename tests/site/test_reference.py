"""The harness reference is complete: every module on the page, every public name with an example.

The examples themselves run in `test_inline_examples.py`.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "proven"
MODULES = sorted(p for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__"))
FIXTURES = "plugin"
"""The pytest plugin: its fixtures are documented, but cannot run outside a test."""
PAGES = [ROOT / "docs" / "reference.md", *sorted((ROOT / "docs" / "reference").glob("*.md"))]
REFERENCE = "".join(page.read_text() for page in PAGES)


def public_definitions(module: Path) -> list[ast.FunctionDef | ast.ClassDef]:
    """The module's top-level functions and classes whose names do not start with `_`."""
    tree = ast.parse(module.read_text())
    return [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_")
    ]


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.stem)
def test_every_harness_module_is_on_the_reference_page(module: Path):
    """A new harness module gets a `::: proven.<module>` line on a reference page."""
    assert f"::: proven.{module.stem}\n" in REFERENCE, (
        f"add the line `::: proven.{module.stem}` to a page of docs/reference/ (and its row "
        "to the table of docs/reference.md)"
    )


@pytest.mark.parametrize("module", [m for m in MODULES if m.stem != FIXTURES], ids=lambda p: p.stem)
def test_every_public_function_has_a_runnable_example(module: Path):
    """Each public function and class documents itself with a ```python example."""
    missing = [
        node.name
        for node in public_definitions(module)
        if "```python" not in (ast.get_docstring(node) or "")
    ]
    assert not missing, (
        f"src/proven/{module.name}: give each of these a docstring with an `Example:` "
        f"section holding a ```python block that runs (pytest-examples runs it): {missing}"
    )
