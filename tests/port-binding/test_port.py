"""Proofs for Factor VII: a port from the environment vs a port written into the code."""

import pytest
import requests

from proven import claim
from proven.processes import script_command
from proven.services import free_port

# The bad twin binds a fixed port (5917): under -n auto, one proof at a time.
pytestmark = pytest.mark.lock("port-5917")

EXAMPLE = "port-binding/port"
FIXED_PORT = 5917
"""The port the bad twin writes into its code (unusual, so that test runs rarely meet it)."""

serve_itself = script_command("app.py")
"""The command a Procfile platform runs: `python app.py`, with the port in `PORT`."""


def two_free_ports() -> tuple[int, int]:
    """Two different ports that nothing listens on right now."""
    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


def hello(port: int) -> str:
    """The greeting the process listening on `port` answers, or "refused" if none listens."""
    try:
        answer = requests.get(f"http://127.0.0.1:{port}/hello", params={"name": "Ada"}, timeout=10)
    except requests.ConnectionError:
        return "refused"
    return answer.json()["greeting"]


@claim(
    "port-from-env",
    "Started twice from the same files with two values of PORT, the good app runs as two "
    "processes side by side, each on its own port; the bad app ignores PORT, and its second "
    'copy fails with "Address already in use" and exits.',
)
def test_two_copies_run_side_by_side_only_with_port_from_env(launch, observe):
    """Start two copies of each twin from the same files with `python app.py`, each given its
    own free port in PORT; see where each listens, whether it stays up, and greet each port."""
    seen = {}
    for twin in ("bad", "good"):
        ports = two_free_ports()
        copies = [
            launch(f"{EXAMPLE}/{twin}", env={"PORT": str(p)}, command=serve_itself) for p in ports
        ]
        started = [state for _, state in copies]
        in_use = "Address already in use" in copies[1][0].output()
        seen[twin] = ports, started, in_use, [hello(p) for p in ports]
    (bad_ports, bad_started, bad_in_use, bad_hello) = seen["bad"]
    (good_ports, good_started, _, good_hello) = seen["good"]
    observe(
        bad=f"given ports {list(bad_ports)}: first copy {bad_started[0]}, second copy "
        f"{bad_started[1]}{' (Address already in use)' if bad_in_use else ''}; "
        f"the given ports answered {bad_hello}",
        good=f"given ports {list(good_ports)}: first copy {good_started[0]}, second copy "
        f"{good_started[1]}; the given ports answered {good_hello}",
    )

    assert good_started == [f"listening at 0.0.0.0:{port}" for port in good_ports]
    assert good_hello == ["Hello, Ada!", "Hello, Ada!"]
    assert bad_started == [f"listening at 0.0.0.0:{FIXED_PORT}", "exit 1"]
    assert bad_in_use
    assert bad_hello == ["refused", "refused"]
