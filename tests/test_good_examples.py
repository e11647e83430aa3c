"""Contracts every good example keeps, whatever its page is about."""

from pathlib import Path

import pytest

from harness import run_to_exit
from harness.processes import EXAMPLES_DIR

GOOD_EXAMPLES = sorted(path.parent for path in EXAMPLES_DIR.glob("*/*/good/app.py"))


@pytest.mark.parametrize("example", GOOD_EXAMPLES, ids=lambda p: str(p.relative_to(EXAMPLES_DIR)))
def test_missing_config_stops_the_app_with_one_clear_line(example: Path):
    """Started with an empty environment, a good app exits non-zero naming what is missing."""
    ended = run_to_exit(example, env={})
    if ended.code is None:
        pytest.skip(f"{example.name} needs no config: it started with an empty environment")
    assert ended.code != 0
    assert "Traceback" not in ended.output
    assert any(word.isupper() and "_" in word for word in ended.output.split()), ended.output
