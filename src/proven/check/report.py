"""The reports of `proven check`: a line per check on the terminal, Markdown and JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from proven.check.checks import CHECKS, FAIL, NOT_APPLICABLE, PASS, Result
from proven.check.target import Target

MARKS = {PASS: "pass", FAIL: "**FAIL**", NOT_APPLICABLE: "n/a"}
"""How the Markdown report shows each outcome."""


def line(result: Result) -> str:
    """One line for the terminal: outcome, check, what it observed, the page.

    Example:
        ```python
        from proven.check.checks import Result
        from proven.check.report import line

        text = line(Result("binds-port", "pass", "answered on PORT=8000"))
        assert text.startswith("PASS  binds-port") and text.endswith("/port-binding/")
        ```
    """
    return f"{result.status.upper():4}  {result.check:20}  {result.observed}  {result.url}"


def summary(results: Sequence[Result]) -> str:
    """`7 passed, 1 failed, 1 not applicable`.

    Example:
        ```python
        from proven.check.checks import Result
        from proven.check.report import summary

        found = [Result("binds-port", "pass", ""), Result("fails-fast", "n/a", "")]
        assert summary(found) == "1 passed, 0 failed, 1 not applicable"
        ```
    """
    count = {status: sum(r.status == status for r in results) for status in MARKS}
    return f"{count[PASS]} passed, {count[FAIL]} failed, {count[NOT_APPLICABLE]} not applicable"


def markdown(results: Sequence[Result], target: Target) -> str:
    """The Markdown report, to paste into a pull request or an onboarding page.

    Example:
        ```python
        from pathlib import Path

        from proven.check.checks import Result
        from proven.check.report import markdown
        from proven.check.target import Target

        target = Target(start="gunicorn app:app", cwd=Path("."))
        text = markdown([Result("binds-port", "pass", "answered on PORT=8000")], target)
        assert "| [Binds the port in PORT](https://" in text
        ```
    """
    rows = [
        "| Check | Factor | Result | Observed |",
        "| --- | --- | --- | --- |",
    ]
    for result in results:
        check = CHECKS[result.check]
        observed = result.observed.replace("|", "\\|")
        rows.append(
            f"| [{check.title}]({result.url}) | {check.factors} | {MARKS[result.status]} "
            f"| {observed} |"
        )
    return "\n".join(
        [
            "### proven check",
            "",
            f"Started with `{target.start}`: {summary(results)}.",
            "",
            *rows,
            "",
        ]
    )


def as_json(results: Sequence[Result], target: Target) -> dict[str, Any]:
    """The JSON report, for CI: the app, whether every check held, and each result.

    Example:
        ```python
        from pathlib import Path

        from proven.check.checks import Result
        from proven.check.report import as_json
        from proven.check.target import Target

        target = Target(start="gunicorn app:app", cwd=Path("."))
        report = as_json([Result("fails-fast", "fail", "still serving")], target)
        assert report["passed"] is False and report["results"][0]["factors"] == "III"
        ```
    """
    return {
        "start": target.start,
        "passed": all(result.passed for result in results),
        "summary": summary(results),
        "results": [
            {
                "check": result.check,
                "title": CHECKS[result.check].title,
                "factors": CHECKS[result.check].factors,
                "status": result.status,
                "observed": result.observed,
                "numbers": dict(result.numbers),
                "url": result.url,
            }
            for result in results
        ],
    }


def json_text(results: Sequence[Result], target: Target) -> str:
    """`as_json`, as indented text.

    Example:
        ```python
        import json
        from pathlib import Path

        from proven.check.report import json_text
        from proven.check.target import Target

        assert json.loads(json_text([], Target(start="x", cwd=Path("."))))["passed"] is True
        ```
    """
    return json.dumps(as_json(results, target), indent=2) + "\n"
