"""Proofs for Factor VII: one app as another app's backing service, reached through config."""

import sys
from pathlib import Path

import requests

from harness import claim
from harness.services import free_port

GREETER = "port-binding/port/good"
EXAMPLE = "port-binding/service-app"


def serve_itself(example: Path, port: int) -> list[str]:
    """The command a Procfile platform runs: `python app.py`, with the port in `PORT`."""
    return [sys.executable, str(example / "app.py")]


def welcome(app) -> int:
    """The status of the welcome page of `app` for Ada."""
    return requests.get(f"{app.url}/welcome", params={"name": "Ada"}, timeout=5).status_code


@claim(
    "app-as-backing-service",
    "An app that binds a port is a backing service for another app: the good welcome app "
    "finds the greeting service at GREETER_URL and follows it to a new port with one config "
    "change and a restart; the bad one looks where its code says and finds it at neither port.",
)
def test_moving_the_greeting_service_needs_only_a_config_change(start_app, observe):
    """Start the greeting service on a free port and each welcome app with its URL in
    GREETER_URL, then move the greeting service to another port (the same files, a new PORT)
    and restart the good welcome app with the new URL."""
    port = free_port()
    greeter = start_app(GREETER, env={"PORT": str(port)}, command=serve_itself, port=port)
    env = {"GREETER_URL": greeter.url}
    bad = start_app(f"{EXAMPLE}/bad", env=env)
    good = start_app(f"{EXAMPLE}/good", env=env)
    before = (welcome(bad), welcome(good))

    greeter.stop()
    greeter.port = free_port()
    greeter.env["PORT"] = str(greeter.port)
    greeter.start()
    moved = (welcome(bad), welcome(good))
    good.env["GREETER_URL"] = greeter.url
    good.restart()
    answer = requests.get(f"{good.url}/welcome", params={"name": "Ada"}, timeout=5)
    bad_refused = bad.output().count("greeting service unavailable: ConnectionError")
    observe(
        bad=f"answered {before[0]} with the greeting service at its first port and "
        f"{moved[0]} at its second; logged {bad_refused} failed connections",
        good=f"answered {before[1]} at the first port, {moved[1]} once it moved, and "
        f"{answer.status_code} {answer.json()} after the URL change and restart",
    )

    assert before == (503, 200)
    assert moved == (503, 503)
    assert bad_refused == 2
    assert answer.status_code == 200
    assert answer.json() == {"message": "Hello, Ada! Welcome aboard."}
