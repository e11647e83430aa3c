"""Proofs for Factor XII: migrations as a one-off process, not on every web process's boot."""

import re

import psycopg
import requests

from proven import Lane, Timeline, claim
from proven.waiting import poll

EXAMPLE = "admin-processes/migrations"
COPIES = 4
# How PostgreSQL refuses the second CREATE TABLE notes: by the relation's name, or by the
# unique index of the type or relation catalog that a concurrent create collides on, for the
# table's row type or its identity sequence (notes_id_seq, or notes_id_seq1 when two creates
# chose names at once). Of 600 creates that lost 200 races, on PostgreSQL 15 and 18 alike,
# 66 % collided on the row type, 22 % on the name, 12 % on the sequence.
LOST_RACE = re.compile(
    r'(relation "notes"|\((?:typname, typnamespace|relname, relnamespace)\)'
    r"=\(notes(?:_id_seq\d*)?, \d+\)) already exists"
)


def said(output: str) -> str:
    """The last line a one-off process printed, cut short for an observation."""
    lines = output.strip().splitlines()
    return lines[-1][:70] if lines else ""


def schema(database_url: str) -> tuple[list[tuple], list[tuple]]:
    """The tables and columns of the app's schema, and the migrations recorded (with times)."""
    with psycopg.connect(database_url) as db:
        columns = db.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'public' order by table_name, column_name"
        ).fetchall()
        if db.execute("select to_regclass('schema_migrations')").fetchone() == (None,):
            return columns, []
        return columns, db.execute("select * from schema_migrations order by version").fetchall()


def start_together(boot, twin: str, database_url: str, lane: Lane) -> list:
    """Start four web processes at once, sharing one PostgreSQL; put the start and the lock's
    release on `lane`.

    The proof holds a SHARE lock on the migration table: any process may read it,
    none may record a migration in it. The lock goes once every process that
    migrates is stuck inside its migration (one waits to record it, the others wait
    for that one's CREATE TABLE), so the race happens on every run, not only on an
    unlucky deploy.
    """
    with (
        psycopg.connect(database_url, autocommit=True) as gate,
        psycopg.connect(database_url, autocommit=True) as watch,
    ):
        gate.execute(
            "create table if not exists schema_migrations "
            "(version integer primary key, applied_at timestamptz not null default now())"
        )
        with gate.transaction():
            gate.execute("lock table schema_migrations in share mode")
            env = {"DATABASE_URL": database_url}
            lane.event(f"{COPIES} web processes start")
            copies = [boot(f"{EXAMPLE}/{twin}", env=env) for _ in range(COPIES)]

            def settled() -> bool:
                """Every copy serves or crashed, or the migrations are stuck in the race."""
                if all(copy.outcome(timeout=0.1) != "still starting" for copy in copies):
                    return True
                waiting = watch.execute(
                    "select split_part(query, ' ', 1), count(*) from pg_stat_activity "
                    "where datname = current_database() and wait_event_type = 'Lock' group by 1"
                ).fetchall()
                return dict(waiting) == {"create": COPIES - 1, "insert": 1}

            poll(settled, timeout=60)
    lane.event("lock released")
    return copies


@claim(
    "migrate-on-boot-races",
    "Web processes that migrate as they boot race each other: of four started at once "
    "against one PostgreSQL, while their migrations overlap (the proof holds that window open "
    "with a lock, as a slow migration does), three crash on the same CREATE TABLE and one "
    "serves. Migrated once by a one-off process before they start, all four serve.",
)
def test_web_processes_that_migrate_on_boot_race(boot, run_setup, database_url, observe):
    """Start four copies of each twin at the same moment; the good twin's one-off migration
    runs first, on its own."""
    timeline = Timeline({"kept": "note stored"})
    bad = start_together(boot, "bad", database_url, timeline.bad)
    bad_outcomes = sorted(copy.outcome() for copy in bad)
    timeline.bad.read(", ".join(f"{bad_outcomes.count(o)} {o}" for o in ("crashed", "serving")))
    crash_logs = [copy.output() for copy in bad if copy.outcome() == "crashed"]

    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute("drop schema public cascade")
        db.execute("create schema public")
    timeline.good.event("one-off migration")
    migrated = run_setup(f"{EXAMPLE}/good", {"DATABASE_URL": database_url})
    good = start_together(boot, "good", database_url, timeline.good)
    good_outcomes = [copy.outcome() for copy in good]
    timeline.good.read(", ".join(f"{good_outcomes.count(o)} {o}" for o in ("crashed", "serving")))
    notes = [
        requests.post(f"{c.url}/notes", json={"body": "hi"}, timeout=5).status_code
        for c in good
        if c.outcome() == "serving"
    ]
    for status in notes:
        timeline.good.request("kept" if status == 201 else "failed")
    lost_race = sum(bool(LOST_RACE.search(log)) for log in crash_logs)
    observe(
        bad=f"of 4 web processes started together, {bad_outcomes.count('crashed')} crashed "
        f"({lost_race} on CREATE TABLE notes) and {bad_outcomes.count('serving')} served",
        good=f"the one-off migration said {said(migrated.output)!r}; then "
        f"{good_outcomes.count('serving')} of 4 web processes served, and {notes.count(201)} "
        "stored a note",
        timeline=timeline,
    )

    assert bad_outcomes == ["crashed", "crashed", "crashed", "serving"]
    assert lost_race == len(crash_logs), [
        log.strip().splitlines()[-6:] for log in crash_logs if not LOST_RACE.search(log)
    ]
    assert migrated.code == 0, migrated.output
    assert good_outcomes == ["serving"] * COPIES
    assert notes == [201] * COPIES


@claim(
    "migrate-one-off",
    "A migration run as a one-off process, with the web process's code and config, brings "
    "the schema up to date; running it again changes nothing. Only the bad app's web "
    "process changes the schema just by starting.",
)
def test_one_off_migration_runs_once_and_again_changes_nothing(
    start_app, run_setup, database_url, observe
):
    """Start the good web process on an empty database, run `flask --app app migrate` twice
    with the same environment, and compare the schema after each step; then start the bad
    web process on an empty database."""
    env = {"DATABASE_URL": database_url}
    empty = schema(database_url)
    web = start_app(f"{EXAMPLE}/good", env=env)
    before_migrating = requests.get(f"{web.url}/notes", timeout=5)
    after_web_start = schema(database_url)
    first = run_setup(f"{EXAMPLE}/good", env)
    after_first = schema(database_url)
    second = run_setup(f"{EXAMPLE}/good", env)
    after_second = schema(database_url)
    after_migrating = requests.post(f"{web.url}/notes", json={"body": "hi"}, timeout=5)

    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute("drop schema public cascade")
        db.execute("create schema public")
    start_app(f"{EXAMPLE}/bad", env=env)
    after_bad_start = schema(database_url)
    versions = {
        "good web start": [row[0] for row in after_web_start[1]],
        "first one-off": [row[0] for row in after_first[1]],
        "second one-off": [row[0] for row in after_second[1]],
        "bad web start": [row[0] for row in after_bad_start[1]],
    }
    observe(
        bad=f"starting the web process alone recorded migrations {versions['bad web start']}",
        good=f"the web process alone recorded {versions['good web start']} and answered "
        f"{before_migrating.status_code}; the one-off recorded {versions['first one-off']}; run "
        f"again it said {said(second.output)!r} and the schema "
        f"{'was unchanged' if after_second == after_first else 'changed'}",
    )

    assert before_migrating.status_code == 503
    assert after_web_start == empty
    assert (first.code, first.output.strip()) == (0, "applied migrations [1, 2]")
    assert (second.code, second.output.strip()) == (0, "nothing to migrate: schema up to date")
    assert versions["first one-off"] == [1, 2]
    assert after_first != empty
    assert after_second == after_first
    assert after_migrating.status_code == 201
    assert versions["bad web start"] == [1, 2]
    assert after_bad_start[0] == after_first[0]
