"""Proofs for Factor VII: one app as another app's backing service, reached through config."""

import pytest
import requests

from proven import claim
from proven.processes import script_command
from proven.services import free_port
from proven.waiting import poll

# The bad twin calls its greeter on a fixed port (5918): under -n auto, one proof at a time.
pytestmark = pytest.mark.lock("port-5918")

GREETER = "port-binding/port/good"
EXAMPLE = "port-binding/service-app"

serve_itself = script_command("app.py")
"""The command a Procfile platform runs: `python app.py`, with the port in `PORT`."""


def url_of(listening: str) -> str:
    """The URL of a greeting service that said "listening at 0.0.0.0:PORT", once it greets."""
    url = f"http://127.0.0.1:{listening.rsplit(':', 1)[1]}"

    def greets() -> bool:
        try:
            requests.get(f"{url}/hello", params={"name": "Ada"}, timeout=5)
        except requests.RequestException:
            return False
        return True

    poll(greets, timeout=20)
    return url


def welcome(app) -> int:
    """The status of the welcome page of `app` for Ada."""
    return requests.get(f"{app.url}/welcome", params={"name": "Ada"}, timeout=5).status_code


@claim(
    "app-as-backing-service",
    "An app that binds a port is a backing service for another app: the good welcome app "
    "finds the greeting service at GREETER_URL and follows it to a new port with one config "
    "change and a restart; the bad one looks where its code says and finds it at neither port.",
)
def test_moving_the_greeting_service_needs_only_a_config_change(start_app, launch, observe):
    """Start the greeting service on a free port and each welcome app with its URL in
    GREETER_URL, then move the greeting service to another port (the same files, a new PORT)
    and restart the good welcome app with the new URL."""
    greeter, listening = launch(GREETER, env={"PORT": str(free_port())}, command=serve_itself)
    env = {"GREETER_URL": url_of(listening)}
    bad = start_app(f"{EXAMPLE}/bad", env=env)
    good = start_app(f"{EXAMPLE}/good", env=env)
    before = (welcome(bad), welcome(good))

    first_url = env["GREETER_URL"]
    greeter.stop()
    port = free_port()
    while f":{port}" in first_url:
        port = free_port()
    _, listening = launch(GREETER, env={"PORT": str(port)}, command=serve_itself)
    moved = (welcome(bad), welcome(good))
    good.env["GREETER_URL"] = url_of(listening)
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
