"""Where everything of a page lives, found from its slug alone.

A page `docs/<slug>.md` shows example pairs from `examples/<slug>/<scenario>/`
(a `bad/` and a `good/` twin, each with an `app.py`) and the claims of the
proofs in `tests/<slug>/`. A proof file names the pair it runs as the string
`"<slug>/<scenario>"` (usually `EXAMPLE = "<slug>/<scenario>"`). These
readers work on files only (no import, no process), so the structure test,
the scaffold and the non-vacuity check share them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from proven.claims import Claim, claims_in_file
from proven.paths import EXAMPLES_DIR, ROOT, TESTS_DIR

TWINS = ("bad", "good")
"""The two twins of an example pair, as folder names."""

PLACEHOLDER = "TODO" + "(scaffold)"
"""Marks text the scaffold wrote for a contributor to replace; the structure test rejects it."""

_INLINE_INCLUDE = re.compile(r"""^[ \t]*-+8<-+[ \t]+(?P<quote>["'])(?P<target>.+?)(?P=quote)\s*$""")
_BLOCK_MARKER = re.compile(r"^[ \t]*-+8<-+\s*$")
_SPECIFIER = re.compile(r"(?i)(?::-?\d*){1,2}(?:,-?\d*(?::-?\d*)?)*$|:[a-z][-_0-9a-z]*$")


@dataclass(frozen=True)
class Pair:
    """One scenario folder `examples/<slug>/<scenario>/`, which should hold two twins.

    Example:
        ```python
        from proven.layout import Pair

        pair = Pair("processes", "shared-secret")
        assert pair.name == "processes/shared-secret"
        assert pair.missing_twins == ()
        assert pair.app("good").name == "app.py"
        ```
    """

    slug: str
    """The page the pair belongs to: `docs/<slug>.md`."""
    scenario: str

    @property
    def name(self) -> str:
        """`<slug>/<scenario>`: how proofs and `start_app` name the pair."""
        return f"{self.slug}/{self.scenario}"

    @property
    def folder(self) -> Path:
        """The scenario folder, `examples/<slug>/<scenario>`."""
        return EXAMPLES_DIR / self.slug / self.scenario

    def app(self, twin: str) -> Path:
        """The `app.py` of one twin, `bad` or `good` (it may not exist yet)."""
        return self.folder / twin / "app.py"

    @property
    def missing_twins(self) -> tuple[str, ...]:
        """The twins (`bad`, `good`) that have no `app.py`."""
        return tuple(twin for twin in TWINS if not self.app(twin).is_file())


def example_pairs(examples_dir: Path = EXAMPLES_DIR) -> list[Pair]:
    """Every scenario folder under `examples/`, complete or not, sorted by name.

    Example:
        ```python
        from proven.layout import example_pairs

        names = [pair.name for pair in example_pairs()]
        assert "stateless-processes/hit-counter" in names
        ```
    """
    return [
        Pair(scenario.parent.name, scenario.name)
        for scenario in sorted(examples_dir.glob("*/*"))
        if scenario.is_dir() and not scenario.name.startswith((".", "__"))
    ]


def names_pair(text: str, name: str) -> bool:
    """Whether source text names the pair `<slug>/<scenario>` (not a longer name that starts so).

    Example:
        ```python
        from proven.layout import names_pair

        assert names_pair('EXAMPLE = "processes/shared-secret"', "processes/shared-secret")
        assert not names_pair('EXAMPLE = "processes/shared-secret-2"', "processes/shared-secret")
        ```
    """
    return re.search(re.escape(name) + r"(?![\w-])", text) is not None


def proofs_of(name: str, tests_dir: Path = TESTS_DIR) -> list[Claim]:
    """The proofs (claim-declaring tests) in files that name the pair `<slug>/<scenario>`.

    A proof file may run pairs of another page (Factor VI reuses the guide's
    cart); filter on `Claim.page` for the proofs of the pair's own page.

    Example:
        ```python
        from proven.layout import proofs_of

        pages = {proof.page for proof in proofs_of("stateless-processes/cart")}
        assert {"stateless-processes", "processes"} <= pages
        ```
    """
    found: list[Claim] = []
    for path in sorted(tests_dir.glob("*/test_*.py")):
        if names_pair(path.read_text(), name):
            found.extend(claims_in_file(path, tests_dir.parent))
    return found


@dataclass(frozen=True)
class Include:
    """One file a page includes with `pymdownx.snippets` (`--8<-- "<path>"`).

    Example:
        ```python
        from proven.layout import page_includes
        from proven.paths import DOCS_DIR

        includes = page_includes(DOCS_DIR / "processes.md")
        cart = next(i for i in includes if i.target.startswith("examples/"))
        assert cart.page.as_posix() == "docs/processes.md"
        assert cart.target.endswith("/app.py") and cart.exists
        ```
    """

    page: Path
    """The including page, relative to the project root."""
    line: int
    """1-based line of the include in the page."""
    target: str
    """The included path, relative to the project root, without `:lines` or `:section`."""

    @property
    def exists(self) -> bool:
        """Whether the included file exists (paths resolve from the project root)."""
        return (ROOT / self.target).is_file()


def _strip_specifier(target: str) -> str:
    found = _SPECIFIER.search(target)
    return target[: found.start()] if found and found.start() > 0 else target


def page_includes(page: Path) -> list[Include]:
    """Every file a page includes, inline (`--8<-- "path"`) or in a `--8<--` block.

    Lines escaped with a leading `;` are not includes, as for the site build.

    Example:
        ```python
        from proven.layout import page_includes
        from proven.paths import DOCS_DIR

        targets = [include.target for include in page_includes(DOCS_DIR / "processes.md")]
        assert "examples/processes/shared-secret/good/app.py" in targets
        ```
    """
    relative = page.relative_to(ROOT) if page.is_absolute() else page
    found: list[Include] = []
    in_block = False
    for number, line in enumerate(page.read_text().splitlines(), start=1):
        if _BLOCK_MARKER.match(line):
            in_block = not in_block
            continue
        inline = _INLINE_INCLUDE.match(line)
        if inline and not in_block:
            target = _strip_specifier(inline["target"])
            found.append(Include(relative, number, target))
        elif in_block and line.strip() and not line.strip().startswith(";"):
            found.append(Include(relative, number, _strip_specifier(line.strip())))
    return found


def placeholders(path: Path) -> list[tuple[int, str]]:
    """The lines of a file that still hold the scaffold's placeholder, as (line number, text).

    Example:
        ```python
        from proven.layout import placeholders
        from proven.paths import DOCS_DIR

        assert placeholders(DOCS_DIR / "processes.md") == []
        ```
    """
    return [
        (number, line.strip())
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1)
        if PLACEHOLDER in line
    ]
