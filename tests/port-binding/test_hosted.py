"""Proofs for Factor VII: an app that serves itself vs one that waits for a host to load it."""

import time
from pathlib import Path

import requests

from proven import claim, gunicorn_command, run_to_exit
from proven.processes import script_command
from proven.services import free_port

EXAMPLE = "port-binding/hosted"

serve_itself = script_command("app.py")
"""The command a Procfile platform runs: `python app.py`, with the port in `PORT`."""


def hosted(example: Path, port: int) -> list[str]:
    """A web server installed apart from the app, loading its `application` (like mod_wsgi)."""
    return gunicorn_command(example, port)[:-1] + ["app:application"]


def greet(url: str) -> object:
    """What the process at `url` answers to a greeting for Ada, or "refused" if none listens."""
    try:
        return requests.get(f"{url}/hello", params={"name": "Ada"}, timeout=5).json()
    except requests.ConnectionError:
        return "refused"


@claim(
    "self-contained",
    "Run the way a platform runs a process, with `python app.py` and a PORT, the self-contained "
    "app answers on that port; the app written for a host server exits with status 0 and "
    "nothing listens on the port: it answers only once a separate web server, started apart "
    "from it, loads it.",
)
def test_only_the_self_contained_app_serves_when_run_as_a_process(launch, observe):
    """Run each twin as `python app.py` with a free port in PORT and greet it there; then load
    the bad twin into a separate server, as a host would."""
    port = free_port()
    started = time.monotonic()
    left = run_to_exit(f"{EXAMPLE}/bad", env={"PORT": str(port)}, command=serve_itself)
    took = time.monotonic() - started
    bad_on_port = greet(f"http://127.0.0.1:{port}")

    _, good_started = launch(f"{EXAMPLE}/good", env={"PORT": str(port)}, command=serve_itself)
    good_on_port = greet(f"http://127.0.0.1:{port}")

    _, loaded = launch(f"{EXAMPLE}/bad", command=hosted)
    address = loaded.removeprefix("listening at ")
    hosted_answer = greet(f"http://{address}") if address != loaded else loaded
    observe(
        bad=f"`python app.py` exited with status {left.code} after {took:.1f} s; the port: "
        f"{bad_on_port}; loaded by a separate gunicorn: {hosted_answer}",
        good=f"`python app.py` kept running, {good_started}, and answered on the port: "
        f"{good_on_port}",
    )

    assert left.code == 0
    assert bad_on_port == "refused"
    assert good_started == f"listening at 0.0.0.0:{port}"
    assert good_on_port == {"greeting": "Hello, Ada!"}
    assert hosted_answer == {"greeting": "Hello, Ada!"}
