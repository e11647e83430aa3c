"""Proofs for Factor VII: an app that serves itself vs one that waits for a host to load it."""

import sys
from pathlib import Path

import requests

from harness import claim, gunicorn_command, run_to_exit
from harness.services import free_port

EXAMPLE = "port-binding/hosted"


def serve_itself(example: Path, port: int) -> list[str]:
    """The command a Procfile platform runs: `python app.py`, with the port in `PORT`."""
    return [sys.executable, str(example / "app.py")]


def hosted(example: Path, port: int) -> list[str]:
    """A web server installed apart from the app, loading its `application` (like mod_wsgi)."""
    return gunicorn_command(example, port)[:-1] + ["app:application"]


@claim(
    "self-contained",
    "Run the way a platform runs a process, with `python app.py` and a PORT, the self-contained "
    "app answers on that port; the app written for a host server exits at once and nothing "
    "listens: it answers only when a separately installed server loads it.",
)
def test_only_the_self_contained_app_serves_when_run_as_a_process(start_app):
    """Run each twin as `python app.py` with a free port in PORT and greet it there; then load
    the bad twin into a separate server, as a host would."""
    port = free_port()
    left = run_to_exit(f"{EXAMPLE}/bad", env={"PORT": str(port)}, command=serve_itself)
    assert left.code == 0

    good = start_app(f"{EXAMPLE}/good", env={"PORT": str(port)}, command=serve_itself, port=port)
    greeting = requests.get(f"{good.url}/hello", params={"name": "Ada"}, timeout=5)
    assert greeting.json() == {"greeting": "Hello, Ada!"}

    host = start_app(f"{EXAMPLE}/bad", command=hosted)
    greeting = requests.get(f"{host.url}/hello", params={"name": "Ada"}, timeout=5)
    assert greeting.json() == {"greeting": "Hello, Ada!"}
