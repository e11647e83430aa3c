"""Claims: the sentences a page asserts, each declared once, by its proof.

A proof is a test in `tests/<page-slug>/` decorated with
[`claim`][proven.claims.claim]. The page `docs/<page-slug>.md` shows it with
a line `!proof <claim-id>`; the site build replaces that line with the claim,
the proof's summary, its code and the command that runs it. The
[`collect_claims`][proven.claims.collect_claims] reader works on the source
text (no import), so the site build does not need the test dependencies.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from proven.paths import TESTS_DIR

CLAIM_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
"""A claim id is a lowercase slug; it is also the claim's anchor on its page."""

PROOF_LINE = re.compile(r"^!proof (?P<id>\S+)[ \t]*$", re.MULTILINE)
"""The line a page writes where a claim and its proof are shown."""


def claim(id: str, text: str) -> pytest.MarkDecorator:  # noqa: F821 (pytest is imported in the body)
    """Declare the claim a proof proves: a stable id (its anchor) and one sentence.

    Both must be string literals: the site reads them from the source.

    Example:
        ```python
        from proven import claim

        marker = claim("hits-survive-restart", "A counter kept in Redis survives a restart.")
        assert marker.name == "claim"
        assert marker.kwargs["id"] == "hits-survive-restart"
        ```
    """
    import pytest  # imported here: the site build reads claims without pytest

    if not CLAIM_ID.match(id):
        raise ValueError(f"claim id {id!r} must be a lowercase slug, like 'counter-restart'")
    return pytest.mark.claim(id=id, text=text)


@dataclass(frozen=True)
class Claim:
    """One claim, where its proof is, and what the proof's docstring says it does.

    Example:
        ```python
        from proven import collect_claims

        found = next(c for c in collect_claims() if c.id == "shared-secret")
        assert found.page == "processes"
        assert found.node_id.startswith("tests/processes/test_shared_secret.py::test_")
        ```
    """

    id: str
    text: str
    page: str
    """Slug of the page that shows the claim: the proof's folder name."""
    path: Path
    """The proof's file, relative to the project root."""
    test: str
    summary: str
    """The proof's docstring: what the test does, in prose."""
    first_line: int
    """First line of the proof (its decorators included), 1-based."""
    last_line: int
    shown_lines: tuple[tuple[int, int], ...] = ()
    """The (first, last) line ranges the page shows of the proof: all of it but the
    `claim` decorator and the docstring, which the page shows as the claim and its summary."""

    @property
    def node_id(self) -> str:
        """The pytest node id that runs just this proof."""
        return f"{self.path.as_posix()}::{self.test}"


def _claim_arguments(decorator: ast.expr) -> tuple[str, str] | None:
    if not isinstance(decorator, ast.Call):
        return None
    func = decorator.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if name != "claim":
        return None
    values = [arg for arg in decorator.args]
    keywords = {kw.arg: kw.value for kw in decorator.keywords}
    values += [keywords[key] for key in ("id", "text") if key in keywords]
    if len(values) != 2 or not all(
        isinstance(v, ast.Constant) and isinstance(v.value, str) for v in values
    ):
        raise ValueError(f"line {decorator.lineno}: claim() takes two string literals, id and text")
    return values[0].value, values[1].value


def _shown_lines(node: ast.FunctionDef, claim_decorator: ast.expr) -> tuple[tuple[int, int], ...]:
    """The proof's line ranges without its `claim` decorator and its docstring."""
    others = [d for d in node.decorator_list if d is not claim_decorator]
    ranges = [(d.lineno, d.end_lineno or d.lineno) for d in others]
    body = node.body
    has_docstring = ast.get_docstring(node) is not None and len(body) > 1
    code_start = body[1].lineno if has_docstring else body[0].lineno
    signature_end = (body[0].lineno if has_docstring else code_start) - 1
    ranges.append((node.lineno, max(node.lineno, signature_end)))
    ranges.append((code_start, node.end_lineno or code_start))
    return tuple(ranges)


def claims_in_file(path: Path, root: Path) -> list[Claim]:
    """The claims declared by the proofs in one test file, read from its source.

    Example:
        ```python
        from proven.claims import claims_in_file
        from proven.paths import TESTS_DIR

        path = TESTS_DIR / "processes" / "test_shared_secret.py"
        assert [c.id for c in claims_in_file(path, TESTS_DIR.parent)] == ["shared-secret"]
        ```
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            arguments = _claim_arguments(decorator)
            if arguments is None:
                continue
            found.append(
                Claim(
                    id=arguments[0],
                    text=arguments[1],
                    page=path.parent.name,
                    path=path.relative_to(root),
                    test=node.name,
                    summary=ast.get_docstring(node) or "",
                    first_line=min(d.lineno for d in node.decorator_list),
                    last_line=node.end_lineno or node.lineno,
                    shown_lines=_shown_lines(node, decorator),
                )
            )
    return found


def collect_claims(tests_dir: Path = TESTS_DIR) -> list[Claim]:
    """Every claim declared under `tests/`, in file and line order.

    Example:
        ```python
        from proven import collect_claims

        claims = collect_claims()
        assert {"stateless-processes", "processes"} <= {c.page for c in claims}
        ```
    """
    root = tests_dir.parent
    claims: list[Claim] = []
    for path in sorted(tests_dir.glob("*/test_*.py")):
        claims.extend(claims_in_file(path, root))
    return claims


def proof_ids_on_page(markdown: str) -> list[str]:
    """The claim ids a page shows with `!proof <id>` lines, in page order.

    Example:
        ```python
        from proven.claims import proof_ids_on_page

        page = "Some prose.\n\n!proof counter-restart\n\nMore prose.\n!proof counter-kill-9\n"
        assert proof_ids_on_page(page) == ["counter-restart", "counter-kill-9"]
        ```
    """
    return [match["id"] for match in PROOF_LINE.finditer(markdown)]
