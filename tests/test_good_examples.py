"""Contracts every good example keeps, whatever its page is about."""

import re
from pathlib import Path

import pytest

from harness import run_to_exit
from harness.processes import EXAMPLES_DIR

VARIABLE_MUST = re.compile(r"^[A-Z][A-Z0-9_]* must ", re.MULTILINE)
GOOD_EXAMPLES = sorted(path.parent for path in EXAMPLES_DIR.glob("*/*/good/app.py"))


@pytest.mark.parametrize("example", GOOD_EXAMPLES, ids=lambda p: str(p.relative_to(EXAMPLES_DIR)))
def test_missing_config_stops_the_app_with_one_clear_line(example: Path):
    """Started with an empty environment, a good app exits non-zero naming what is missing."""
    ended = run_to_exit(example, env={})
    if ended.code is None:
        pytest.skip(f"{example.name} needs no config: it started with an empty environment")
    assert ended.code != 0
    assert "Traceback" not in ended.output
    names_a_variable = any(word.isupper() and "_" in word for word in ended.output.split())
    # a one-word variable such as PORT, in the convention "<VAR> must be ... (got ...)"
    names_a_variable = names_a_variable or bool(VARIABLE_MUST.search(ended.output))
    assert names_a_variable, ended.output
