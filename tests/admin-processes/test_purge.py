"""Proofs for Factor XII: an admin script reads the app's config, or touches the wrong database."""

import sys
from pathlib import Path

import psycopg
import requests
from psycopg.conninfo import conninfo_to_dict

from proven import claim, run_to_exit

EXAMPLE = "admin-processes/purge"


def purge_done(folder: Path, port: int) -> list[str]:
    """The one-off admin process: `python purge_done.py`, from the app's own folder."""
    return [sys.executable, str(folder / "purge_done.py")]


def titles(database_url: str) -> list[str]:
    """The titles of the tasks left in a database, oldest first."""
    with psycopg.connect(database_url) as db:
        return [title for (title,) in db.execute("select title from tasks order by id")]


def run_purge(start_app, run_setup, twin: str, prod_url: str, dev_url: str) -> dict:
    """Production gets three tasks, two of them done; the developer's database gets one done
    task. Then the twin's purge runs with the web process's environment."""
    server = conninfo_to_dict(prod_url)
    # What the platform gives every process of the app: the app's URL, and the standard
    # libpq variables that point `psql` at the same server.
    env = {"DATABASE_URL": prod_url, "PGHOST": server["host"], "PGPORT": server["port"]}
    for url in (prod_url, dev_url):
        migrated = run_setup(f"{EXAMPLE}/{twin}", {**env, "DATABASE_URL": url})
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
        "production tasks left": [task["title"] for task in tasks],
        "developer's tasks left": titles(dev_url),
    }


@claim(
    "admin-script-wrong-database",
    "An admin script with connection settings of its own runs against the database it names, "
    "not the app's: run beside the production web process, on a server that also holds the "
    "developer's database, it deletes the developer's finished task and leaves production "
    "untouched. The same script reading the app's DATABASE_URL deletes production's finished "
    "tasks and nothing else.",
)
def test_admin_script_with_its_own_settings_hits_the_wrong_database(
    start_app, run_setup, other_database_url, observe
):
    """Run each twin's `purge_done.py` as a one-off process beside its web process, with the
    web process's environment, and read the tasks left in each database."""
    bad = run_purge(
        start_app,
        run_setup,
        "bad",
        other_database_url("tasks"),
        other_database_url("tasks_dev"),
    )
    good = run_purge(
        start_app,
        run_setup,
        "good",
        other_database_url("tasks"),
        other_database_url("tasks_dev"),
    )

    bad_dev, good_dev = bad["developer's tasks left"], good["developer's tasks left"]
    observe(
        bad=f"said {bad['said']!r}; production kept {len(bad['production tasks left'])} of 3 "
        f"tasks, the developer's database {len(bad_dev)} of 1",
        good=f"said {good['said']!r}; production kept {len(good['production tasks left'])} of 3 "
        f"tasks (its open one), the developer's database {len(good_dev)} of 1",
    )

    everything = ["write the report", "book the room", "send the invoice"]
    assert bad == {
        "said": "deleted 1 finished tasks",
        "production tasks left": everything,
        "developer's tasks left": [],
    }
    assert good == {
        "said": "deleted 2 finished tasks",
        "production tasks left": ["send the invoice"],
        "developer's tasks left": ["try the purge script"],
    }
