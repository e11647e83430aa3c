"""Inline Python blocks in the docs, and docstring examples in the harness, run and lint clean.

Blocks that only include a file with `--8<--` are skipped here: the included
files are examples and tests that run on their own.
"""

from pathlib import Path

import pytest
from pytest_examples import CodeExample, EvalExample, find_examples

ROOT = Path(__file__).resolve().parents[2]


def runnable(example: CodeExample) -> bool:
    """A Python block that holds code rather than a snippet include."""
    return example.prefix_settings().get("lang", "python") == "python" and "--8<--" not in (
        example.source
    )


DOC_BLOCKS = [e for e in find_examples(str(ROOT / "docs")) if runnable(e)]
HARNESS_BLOCKS = [e for e in find_examples(str(ROOT / "src" / "proven")) if runnable(e)]


@pytest.mark.parametrize("example", DOC_BLOCKS + HARNESS_BLOCKS, ids=str)
def test_block_runs_and_is_linted(example: CodeExample, eval_example: EvalExample, redis_url):
    """Lint the block with ruff and run it; harness examples start real processes.

    A failing block is reported as a plain failure: on Python 3.11 pytest cannot
    format a traceback through pytest-examples' compiled code (NOTES.md) and would
    stop the whole run with an INTERNALERROR instead.
    """
    eval_example.set_config(line_length=100, ruff_select=["E", "F", "W", "B", "UP"])
    eval_example.lint(example)
    failure = None
    try:
        eval_example.run(example)
    except Exception as error:  # noqa: BLE001 - any error of the block is its failure
        failure = f"{example}: {type(error).__name__}: {error}"
    if failure:
        pytest.fail(failure, pytrace=False)
