"""Proofs for Factor III: required config checked at start-up vs read on first use."""

import requests

from proven import claim, run_to_exit

EXAMPLE = "config/required"

WRONG_CONFIG = [
    ("REDIS_URL", {}),
    ("REDIS_URL", {"REDIS_URL": "127.0.0.1:6379"}),
    ("GUESTBOOK_SIZE", {"REDIS_URL": "redis://127.0.0.1:6379/0", "GUESTBOOK_SIZE": "ten"}),
]


@claim(
    "config-fail-fast",
    "With REDIS_URL missing or without its scheme, or GUESTBOOK_SIZE not a number, the good "
    "app refuses to start: it exits "
    "non-zero with one line naming the variable and what it expects; the bad app starts and "
    "fails later, with a 500 and a stack trace on the first request that needs the value.",
)
def test_wrong_config_stops_good_at_start_and_bad_at_first_request(start_app, observe):
    """Start each twin with a missing REDIS_URL, a REDIS_URL without its scheme, and a
    GUESTBOOK_SIZE that is not a number; sign the guestbook of whichever starts."""
    good, bad = [], []
    for _, env in WRONG_CONFIG:
        good.append(run_to_exit(f"{EXAMPLE}/good", env=env))
        app = start_app(f"{EXAMPLE}/bad", env=env)  # it starts: it answers HTTP
        answer = requests.post(f"{app.url}/entries", json={"name": "Ada"}, timeout=5)
        bad.append((answer.status_code, "Traceback" in app.output()))
        app.stop()
    lines = [exit.output.splitlines() for exit in good]
    observe(
        bad=f"started {len(bad)} of {len(WRONG_CONFIG)} times; first signature answered "
        f"{[status for status, _ in bad]}, traceback logged: {[logged for _, logged in bad]}",
        good=f"refused to start {sum(e.code not in (None, 0) for e in good)} of "
        f"{len(WRONG_CONFIG)} times, exit codes {[e.code for e in good]}, "
        f"{[len(printed) for printed in lines]} lines printed",
    )

    for (variable, _), exit, printed in zip(WRONG_CONFIG, good, lines, strict=True):
        assert exit.code not in (None, 0)
        [line] = printed
        assert line.startswith(f"{variable} must be ") and "(got " in line
    assert bad == [(500, True)] * len(WRONG_CONFIG)
