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
    "change; the bad one looks where its code says and never finds it.",
)
def test_moving_the_greeting_service_needs_only_a_config_change(start_app):
    """Start the greeting service on a free port and each welcome app with its URL in
    GREETER_URL, then move the greeting service to another port and restart the good
    welcome app with the new URL."""
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
    moved = welcome(good)
    good.env["GREETER_URL"] = greeter.url
    good.restart()

    assert before == (503, 200)
    assert (moved, welcome(good)) == (503, 200)
    answer = requests.get(f"{good.url}/welcome", params={"name": "Ada"}, timeout=5).json()
    assert answer == {"message": "Hello, Ada! Welcome aboard."}
