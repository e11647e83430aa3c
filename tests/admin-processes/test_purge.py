"""Proofs for Factor XII: an admin script reads the app's config, or touches the wrong database."""

import sys
from pathlib import Path

import psycopg
import requests
from psycopg.conninfo import conninfo_to_dict

from harness import claim, run_to_exit

EXAMPLE = "admin-processes/purge"


def purge_done(folder: Path, port: int) -> list[str]:
    """The one-off admin process: `python purge_done.py`, from the app's own folder."""
    return [sys.executable, str(folder / "purge_done.py")]


def count_tasks(database_url: str) -> int:
    with psycopg.connect(database_url) as db:
        return db.execute("select count(*) from tasks").fetchone()[0]


def run_purge(start_app, flask_command, twin: str, prod_url: str, dev_url: str) -> dict:
    """Production gets three tasks, two of them done; the developer's database gets one done
    task. Then the twin's purge runs with the web process's environment."""
    server = conninfo_to_dict(prod_url)
    # What the platform gives every process of the app: the app's URL, and the standard
    # libpq variables that point `psql` at the same server.
    env = {"DATABASE_URL": prod_url, "PGHOST": server["host"], "PGPORT": server["port"]}
    for url in (prod_url, dev_url):
        migrated = flask_command(f"{EXAMPLE}/{twin}", "migrate", {**env, "DATABASE_URL": url})
        assert migrated.code == 0, migrated.output
    with psycopg.connect(dev_url) as dev:
        dev.execute("insert into tasks (title, done) values ('try the purge script', true)")
    web = start_app(f"{EXAMPLE}/{twin}", env=env)
    for title in ("write the report", "book the room", "send the invoice"):
        requests.post(f"{web.url}/tasks", json={"title": title}, timeout=5)
    for task_id in (1, 2):
        requests.post(f"{web.url}/tasks/{task_id}/done", timeout=5)

    purged = run_to_exit(f"{EXAMPLE}/{twin}", env=env, command=purge_done)
    tasks = requests.get(f"{web.url}/tasks", timeout=5).json()["tasks"]
    return {
        "said": purged.output.strip(),
        "production tasks left": len(tasks),
        "developer's tasks left": count_tasks(dev_url),
    }


@claim(
    "admin-script-wrong-database",
    "An admin script with connection settings of its own runs against the wrong database: "
    "run in production, it deletes a developer's data and leaves production untouched. The "
    "same script reading the app's environment cleans up production and nothing else.",
)
def test_admin_script_with_its_own_settings_hits_the_wrong_database(
    start_app, flask_command, other_database_url
):
    """Run each twin's `purge_done.py` as a one-off process beside its web process, with the
    web process's environment, and count the tasks left in each database."""
    bad = run_purge(
        start_app,
        flask_command,
        "bad",
        other_database_url("tasks"),
        other_database_url("tasks_dev"),
    )
    good = run_purge(
        start_app,
        flask_command,
        "good",
        other_database_url("tasks"),
        other_database_url("tasks_dev"),
    )

    assert bad == {
        "said": "deleted 1 finished tasks",
        "production tasks left": 3,
        "developer's tasks left": 0,
    }
    assert good == {
        "said": "deleted 2 finished tasks",
        "production tasks left": 1,
        "developer's tasks left": 1,
    }
