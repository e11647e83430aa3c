"""Contracts every good example keeps, whatever its page is about."""

import re
from pathlib import Path

import pytest

from proven import AppProcess
from proven.paths import EXAMPLES_DIR
from proven.processes import AppFailedToStart

VARIABLE_MUST = re.compile(r"^[A-Z][A-Z0-9_]* must .*$")
GOOD_EXAMPLES = sorted(path.parent for path in EXAMPLES_DIR.glob("*/*/good/app.py"))


@pytest.mark.parametrize("example", GOOD_EXAMPLES, ids=lambda p: str(p.relative_to(EXAMPLES_DIR)))
def test_missing_config_stops_the_app_with_one_clear_line(example: Path):
    """With an empty environment a good app either serves (it needs no config) or exits
    non-zero printing one line, `<VAR> must ...`, and no traceback."""
    app = AppProcess(example, env={})
    try:
        app.start()
    except AppFailedToStart:
        code, lines = app.wait_exit(), app.output().strip().splitlines()
        assert code > 0, f"{example} neither served nor exited on its own:\n{app.output()}"
        assert len(lines) == 1 and VARIABLE_MUST.match(lines[0]), app.output()
    finally:
        app.close()
