"""Proofs for Factor III: required config checked at start-up vs read on first use."""

import pytest
import requests

from harness import claim, run_to_exit

EXAMPLE = "config/required"

WRONG_CONFIG = [
    ("REDIS_URL", {}),
    ("REDIS_URL", {"REDIS_URL": "127.0.0.1:6379"}),
    ("GUESTBOOK_SIZE", {"REDIS_URL": "redis://127.0.0.1:6379/0", "GUESTBOOK_SIZE": "ten"}),
]


@claim(
    "config-fail-fast",
    "With a required variable missing or malformed, the good app refuses to start: it exits "
    "non-zero with one line naming the variable and what it expects; the bad app starts and "
    "fails later, with a 500 and a stack trace on the first request that needs the value.",
)
@pytest.mark.parametrize(
    ("variable", "env"), WRONG_CONFIG, ids=["missing", "no-scheme", "not-a-number"]
)
def test_wrong_config_stops_good_at_start_and_bad_at_first_request(start_app, variable, env):
    """Start each twin with a missing REDIS_URL, a REDIS_URL without its scheme, and a
    GUESTBOOK_SIZE that is not a number; sign the guestbook of whichever starts."""
    good = run_to_exit(f"{EXAMPLE}/good", env=env)
    assert good.code not in (None, 0)
    [line] = good.output.splitlines()
    assert line.startswith(f"{variable} must be ")

    bad = start_app(f"{EXAMPLE}/bad", env=env)
    answer = requests.post(f"{bad.url}/entries", json={"name": "Ada"}, timeout=5)
    assert answer.status_code == 500
    assert "Traceback" in bad.output()
