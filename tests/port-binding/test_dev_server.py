"""Proofs for Factor VII: a production web server bundled as a dependency vs Flask's dev server."""

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from proven import claim
from proven.processes import script_command
from proven.services import free_port

EXAMPLE = "port-binding/dev-server"
WARNING = "This is a development server. Do not use it in a production deployment."

serve_itself = script_command("app.py")
"""The command a Procfile platform runs: `python app.py`, with the port in `PORT`."""


def stop_during_request(app) -> tuple[object, int]:
    """Send SIGTERM while a two-second request is in flight; its answer and the exit code."""
    outcome: dict[str, object] = {}

    def slow_request() -> None:
        try:
            url = f"{app.url}/hello"
            outcome["answer"] = requests.get(url, params={"name": "Ada", "wait": 2}, timeout=10)
        except requests.RequestException as error:
            # RemoteDisconnected: the server had read the request, then closed the connection
            # without answering (a request never read would be reset instead).
            dropped = "RemoteDisconnected" in repr(error)
            outcome["answer"] = "dropped after it was read" if dropped else type(error).__name__

    client = threading.Thread(target=slow_request)
    client.start()
    time.sleep(0.5)
    app.send_signal(signal.SIGTERM)
    code = app.wait_exit(timeout=10)
    client.join()
    answer = outcome["answer"]
    return getattr(answer, "status_code", answer), code


@claim(
    "dev-server-deploy",
    "Flask's development server, run as if it were production, warns that it is not fit for "
    "it and drops a request in flight when the platform stops it; the app that bundles gunicorn "
    "finishes the request and exits 0.",
)
def test_sigterm_mid_request_drops_it_only_on_the_dev_server(start_app, observe):
    """Start each twin with `python app.py` and PORT, send each SIGTERM half a second into a
    two-second request (both at once), and record the answer and the process's exit code."""
    apps = {}
    for twin in ("bad", "good"):
        port = free_port()
        apps[twin] = start_app(
            f"{EXAMPLE}/{twin}", env={"PORT": str(port)}, command=serve_itself, port=port
        )
    with ThreadPoolExecutor() as pool:
        stopped = {twin: pool.submit(stop_during_request, app) for twin, app in apps.items()}
    results = {twin: future.result() for twin, future in stopped.items()}
    warns = {twin: WARNING in app.output() for twin, app in apps.items()}
    said = {twin: "printed" if warns[twin] else "did not print" for twin in warns}
    observe(
        bad=f"{said['bad']} the development-server warning; the request in flight: "
        f"{results['bad'][0]}; exit status {results['bad'][1]}",
        good=f"{said['good']} the development-server warning; the request in flight: "
        f"{results['good'][0]}; exit status {results['good'][1]}",
    )

    assert results["bad"] == ("dropped after it was read", -signal.SIGTERM)
    assert warns["bad"]
    assert results["good"] == (200, 0)
    assert not warns["good"]
