"""Soak runs: every good example that stores state, under load, kill -9s and a service restart.

Each run starts three processes of an example behind round-robin clients (8
by default), kills a random process with SIGKILL at random points and starts
it again, restarts the backing service once (a durable Redis: what it
acknowledged survives its restart), then reads back what the app holds. The
good twin must lose no acknowledged write and answer no 5xx outside a recovery
window; the bad twin's losses are measured and printed.

    .venv/bin/pytest tests/soak                       # a few thousand writes per run
    .venv/bin/pytest tests/soak --soak-requests 1000 --soak-seconds 6  # the CI budget

A new stateful good example joins by adding one `Stateful` entry to `STATEFUL`
(with `service="postgres"`, `env=postgres` and, when its schema is created by
an admin command, `setup="migrate"`, when it keeps its state in PostgreSQL),
or an entry in `NOT_SOAKED` saying in one line why a soak would prove nothing.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from proven import PostgresServer, run_to_exit
from proven.paths import EXAMPLES_DIR
from proven.soak import SoakClient, Stateful, soak

pytestmark = pytest.mark.soak

CSV = "tea,2.50\nmilk,1.20\n"


def cart_items(client: SoakClient) -> set[int]:
    """The write numbers of the items in the client's cart."""
    items = client.get("/cart").json()["items"]
    return {int(item.rsplit("-", 1)[1]) for item in items}


def files_held(client: SoakClient) -> set[int]:
    """The client's acknowledged or in-doubt uploads that some process serves."""
    wanted = set(client.acknowledged) | client.in_doubt
    return {n for n in wanted if client.get(f"/files/c{client.index}-{n}.bin").ok}


def reports_held(client: SoakClient) -> set[int]:
    """The client's acknowledged reports that some process serves, by the id it was given."""
    ids = {n: json.loads(body)["id"] for n, body in client.acknowledged.items()}
    return {n for n, report_id in ids.items() if client.get(f"/reports/{report_id}").ok}


def notes_held(client: SoakClient) -> set[int]:
    """The write numbers of the client's notes in the store."""
    prefix = f"c{client.index}-"
    notes = client.get("/notes").json()["notes"]
    return {int(note[len(prefix) :]) for note in notes if note.startswith(prefix)}


def tasks_held(client: SoakClient) -> set[int]:
    """The write numbers of the client's tasks in the to-do list."""
    prefix = f"c{client.index}-"
    titles = [task["title"] for task in client.get("/tasks").json()["tasks"]]
    return {int(title[len(prefix) :]) for title in titles if title.startswith(prefix)}


def players_held(client: SoakClient) -> set[int]:
    """The write numbers of the client's players on the leaderboard."""
    prefix = f"c{client.index}-"
    names = client.get("/players", params={"q": prefix}).json()["players"]
    return {int(name[len(prefix) :]) for name in names if name.startswith(prefix)}


def postgres(url: str) -> dict[str, str]:
    """The environment of an app that keeps its state in PostgreSQL."""
    return {"DATABASE_URL": url}


STATEFUL = [
    Stateful(
        name="hit-counter",
        example="stateless-processes/hit-counter",
        write=lambda client, n: client.post("/hits"),
        read=lambda client: client.get("/hits").json()["hits"],
        shared=True,
    ),
    Stateful(
        name="cart",
        example="stateless-processes/cart",
        write=lambda client, n: client.post("/cart/items", json={"item": f"c{client.index}-{n}"}),
        read=cart_items,
    ),
    Stateful(
        name="uploads",
        example="stateless-processes/uploads",
        write=lambda client, n: client.put(f"/files/c{client.index}-{n}.bin", data=b"x" * 256),
        read=files_held,
    ),
    Stateful(
        name="scratch-space",
        example="stateless-processes/scratch-space",
        write=lambda client, n: client.post("/reports", data=CSV),
        read=reports_held,
    ),
    Stateful(
        name="outage",
        example="backing-services/outage",
        write=lambda client, n: client.post("/notes", json={"text": f"c{client.index}-{n}"}),
        read=notes_held,
    ),
    Stateful(
        name="purge",
        example="admin-processes/purge",
        write=lambda client, n: client.post("/tasks", json={"title": f"c{client.index}-{n}"}),
        read=tasks_held,
        service="postgres",
        env=postgres,
        setup="migrate",
    ),
    Stateful(
        name="leaderboard",
        example="dev-prod-parity/leaderboard",
        write=lambda client, n: client.post(
            "/players", json={"name": f"c{client.index}-{n}", "team": "soak", "points": n}
        ),
        read=players_held,
        service="postgres",
        env=postgres,
        setup="init-db",
    ),
]
"""Every good example that stores state: how a client writes, how to read back what is held."""

SAME_AS_OUTAGE = (
    "the same code as backing-services/outage/good (only the module docstring differs), which "
    "is soaked; its lesson (where the store is found) is proved in tests/backing-services"
)
GUESTBOOK = (
    "a config lesson; its guestbook names go into a Redis list the way backing-services/"
    "outage's notes do, which are soaked, so a soak would prove nothing new about config"
)
NOT_SOAKED: dict[str, str] = {
    "admin-processes/migrations": (
        "its notes go into PostgreSQL the way admin-processes/purge's tasks do, which are "
        "soaked; its lesson, when the schema migrates, is proved in tests/admin-processes"
    ),
    "backing-services/attached": SAME_AS_OUTAGE,
    "backing-services/managed": SAME_AS_OUTAGE,
    "concurrency/jobs": (
        "a request only queues a job for worker processes the soak does not run; what a kill "
        "-9 does to queued work is disposability/worker's lesson, proved in tests/disposability"
    ),
    "config/credentials": GUESTBOOK,
    "config/environments": GUESTBOOK,
    "config/leaky-logs": GUESTBOOK,
    "config/required": GUESTBOOK + " (and it keeps only the latest GUESTBOOK_SIZE names)",
    "dev-prod-parity/cache": "a cache: losing it loses nothing of record, it is recomputed",
    "disposability/startup": "read-only: requests never write, they look products up",
    "disposability/worker": (
        "its state of record, the ledger, is written by the worker process, not by requests; "
        "what a kill -9 of the worker does is proved in tests/disposability/test_worker.py"
    ),
    "identity/rotation": (
        "an identity lesson on config/credentials' guestbook, whose names go into a Redis list "
        "the way backing-services/outage's notes do, which are soaked; what a token rotation "
        "does under traffic is proved in tests/identity"
    ),
}
"""Good examples with a backing service that are left out on purpose: example -> why."""

COPIES = 3
KILLS = 3


def test_every_left_out_example_exists_and_says_why():
    """NOT_SOAKED names only example pairs that exist and are not soaked, each with a reason."""
    for example, why in NOT_SOAKED.items():
        assert (EXAMPLES_DIR / example / "good" / "app.py").exists(), example
        assert why.strip() and example not in {s.example for s in STATEFUL}, example


def test_every_stateful_good_example_is_soaked():
    """A good example configured with a backing service has an entry in STATEFUL or NOT_SOAKED."""
    listed = {s.example for s in STATEFUL} | set(NOT_SOAKED)
    stateful = {
        str(app.parent.parent.relative_to(EXAMPLES_DIR))
        for app in EXAMPLES_DIR.glob("*/*/good/app.py")
        if re.search(r"REDIS_URL|DATABASE_URL", app.read_text())
    }
    unlisted = sorted(stateful - listed)
    if unlisted:
        pytest.fail(
            f"{', '.join(unlisted)}: add a Stateful entry to STATEFUL in tests/soak/test_soak.py, "
            "or an entry to NOT_SOAKED there saying in one line why a soak would prove nothing",
            pytrace=False,
        )


@pytest.fixture
def backing_service(redis_servers, request):
    """Start the scenario's backing service: a durable Redis, or a PostgreSQL cluster."""

    def start(scenario: Stateful):
        if scenario.service == "redis":
            return redis_servers(durable=True)
        server = PostgresServer()
        request.addfinalizer(server.close)
        return server.start()

    return start


def set_up(scenario: Stateful, twin: str, env: dict[str, str]) -> None:
    """Run the scenario's one-off admin command, if any, as `flask --app app.py <setup>`."""
    if scenario.setup is None:
        return

    def command(folder: Path, port: int) -> list[str]:
        return [sys.executable, "-m", "flask", "--app", str(folder / "app.py"), scenario.setup]

    done = run_to_exit(f"{scenario.example}/{twin}", env=env, command=command)
    assert done.code == 0, done.output


@pytest.mark.parametrize("scenario", STATEFUL, ids=lambda s: s.name)
def test_good_twin_loses_no_acknowledged_write(
    scenario, start_copies, backing_service, soak_budget, keep_report
):
    """Soak the good twin: no acknowledged write lost, no 5xx outside a recovery window."""
    service = backing_service(scenario)
    set_up(scenario, "good", scenario.env(service.url))
    cluster = start_copies(f"{scenario.example}/good", count=COPIES, env=scenario.env(service.url))

    report = keep_report(soak(scenario, cluster.apps, service, kills=KILLS, **soak_budget))

    assert report.kills == KILLS and report.service_restarts == 1
    assert report.acknowledged > 0
    assert report.lost == 0, report.summary()
    assert report.errors_5xx_outside_recovery == 0, report.summary()
    assert report.extra == 0, report.summary()


@pytest.mark.parametrize("scenario", STATEFUL, ids=lambda s: s.name)
def test_bad_twin_losses_are_measured(
    scenario, start_copies, backing_service, soak_budget, keep_report
):
    """Soak the bad twin the same way and report what it lost (it is expected to lose)."""
    service = backing_service(scenario)
    set_up(scenario, "bad", scenario.env(service.url))
    cluster = start_copies(f"{scenario.example}/bad", count=COPIES, env=scenario.env(service.url))

    report = keep_report(soak(scenario, cluster.apps, service, kills=KILLS, **soak_budget))

    assert report.kills == KILLS and report.acknowledged > 0
