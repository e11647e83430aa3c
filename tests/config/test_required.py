"""Proofs for Factor III: required config checked at start-up vs read on first use."""

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from proven import claim, run_to_exit
from proven.processes import CommandBuilder, Exit, gunicorn_command

EXAMPLE = "config/required"

WRONG_CONFIG = [
    ("REDIS_URL", {}),
    ("REDIS_URL", {"REDIS_URL": "127.0.0.1:6379"}),
    ("GUESTBOOK_SIZE", {"REDIS_URL": "redis://127.0.0.1:6379/0", "GUESTBOOK_SIZE": "ten"}),
]


def preloaded(example: Path, port: int) -> list[str]:
    """gunicorn with `--preload`: the master imports the app before it forks a worker."""
    *options, app = gunicorn_command(example, port)
    return [*options, "--preload", app]


def flask_run(example: Path, port: int) -> list[str]:
    """Flask's development server, `flask --app app run`, as a reader runs it locally."""
    return [sys.executable, "-m", "flask", "--app", str(example / "app.py"), "run", "--port", "0"]


STARTS: dict[str, CommandBuilder] = {
    "plain gunicorn": gunicorn_command,  # the page's command: no --preload
    "gunicorn --preload": preloaded,
    "flask run": flask_run,
}


def timed_start(env: dict[str, str], command: CommandBuilder) -> tuple[Exit, float]:
    """Start the good twin and wait for it to exit: how it ended, and the seconds it took."""
    began = time.monotonic()
    ended = run_to_exit(f"{EXAMPLE}/good", env=env, command=command)
    return ended, time.monotonic() - began


@claim(
    "config-fail-fast",
    "With REDIS_URL missing or without its scheme, or GUESTBOOK_SIZE not a number, the good "
    "app refuses to start, whether run by plain gunicorn, gunicorn --preload or flask run: it "
    "exits with status 3 and one line naming the variable and what it expects, and plain "
    "gunicorn boots its worker once and stops instead of forking another; the bad app starts "
    "and fails later, with a 500 and a stack trace on the first request that needs the value.",
)
def test_wrong_config_stops_good_at_start_and_bad_at_first_request(start_app, observe):
    """Start the good twin with a missing REDIS_URL, a REDIS_URL without its scheme, and a
    GUESTBOOK_SIZE that is not a number, by plain gunicorn, gunicorn --preload and flask run
    (all nine side by side); start the bad twin with each and sign its guestbook."""
    runs = [(variable, env, way) for variable, env in WRONG_CONFIG for way in STARTS]
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        good = list(pool.map(lambda run: timed_start(run[1], STARTS[run[2]]), runs))
    bad = []
    for _, env in WRONG_CONFIG:
        app = start_app(f"{EXAMPLE}/bad", env=env)  # it starts: it answers HTTP
        answer = requests.post(f"{app.url}/entries", json={"name": "Ada"}, timeout=5)
        bad.append((answer.status_code, "Traceback" in app.output()))
        app.stop()
    named = [
        [line for line in exit.output.splitlines() if line.startswith(f"{variable} must ")]
        for (variable, _, _), (exit, _) in zip(runs, good, strict=True)
    ]
    boots = [
        exit.output.count("Booting worker")
        for (_, _, way), (exit, _) in zip(runs, good, strict=True)
        if way == "plain gunicorn"
    ]
    observe(
        bad=f"started {len(bad)} of {len(WRONG_CONFIG)} times; first signature answered "
        f"{[status for status, _ in bad]}, traceback logged: {[logged for _, logged in bad]}",
        good=f"refused {sum(exit.code not in (None, 0) for exit, _ in good)} of {len(runs)} "
        f"starts ({len(WRONG_CONFIG)} mistakes × gunicorn, --preload, flask run): exit codes "
        f"{sorted({exit.code for exit, _ in good}, key=str)} within "
        f"{max(seconds for _, seconds in good):.1f} s, lines naming the variable "
        f"{sorted({len(lines) for lines in named})}; gunicorn's worker boots {sorted(set(boots))}",
    )

    for (_, _, way), (exit, _), lines in zip(runs, good, named, strict=True):
        assert exit.code == 3, exit.output
        [line] = lines
        assert "(got " in line and "Traceback" not in exit.output
        if way == "plain gunicorn":  # the master halts: "Worker failed to boot", no second boot
            assert exit.output.count("Booting worker") == 1, exit.output
            assert "Reason: Worker failed to boot." in exit.output
        else:  # the app is imported where it is started: its line is all there is
            assert exit.output.splitlines() == lines
    assert bad == [(500, True)] * len(WRONG_CONFIG)
