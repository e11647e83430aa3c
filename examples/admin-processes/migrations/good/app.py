"""Notes in PostgreSQL; the schema is migrated by a one-off process: `flask --app app migrate`."""

import os
import sys
from typing import NoReturn

import psycopg
from flask import Flask, jsonify, request


def stop(message: str) -> NoReturn:
    """Stop at start-up: print why on one line, exit 3 (gunicorn's "worker failed to boot")."""
    print(message, file=sys.stderr)
    sys.exit(3)


DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL.startswith(("postgresql://", "postgres://")):
    stop(
        "DATABASE_URL must be set to a postgresql:// URL "
        f"(got {'nothing' if not DATABASE_URL else 'another form'})"
    )

MIGRATIONS = [
    (1, "create table notes (id bigint generated always as identity primary key, body text)"),
    (2, "alter table notes add column created_at timestamptz not null default now()"),
]


def migrate() -> list[int]:
    """Apply, in order, each migration the database has not recorded yet; answer their numbers."""
    with psycopg.connect(DATABASE_URL, autocommit=True) as db:
        db.execute(
            "create table if not exists schema_migrations "
            "(version integer primary key, applied_at timestamptz not null default now())"
        )
        done = {version for (version,) in db.execute("select version from schema_migrations")}
        applied = []
        for version, statement in MIGRATIONS:
            if version not in done:
                with db.transaction():
                    db.execute(statement)
                    db.execute("insert into schema_migrations (version) values (%s)", (version,))
                applied.append(version)
        return applied


app = Flask(__name__)


def json_object() -> dict:
    """The request's JSON object, or {} when the body is missing, malformed, not an object or
    nested too deeply."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        return {}
    return body if isinstance(body, dict) else {}


@app.cli.command("migrate")
def migrate_command():
    """The one-off admin process: run once per release, before the web processes start."""
    applied = migrate()
    print(f"applied migrations {applied}" if applied else "nothing to migrate: schema up to date")


@app.post("/notes")
def add_note():
    """Store a note."""
    body = json_object().get("body")
    if not isinstance(body, str) or not 0 < len(body) <= 1000 or not body.isprintable():
        return jsonify(error="body must be 1 to 1000 printable characters"), 400
    with psycopg.connect(DATABASE_URL) as db:
        (note_id,) = db.execute(
            "insert into notes (body) values (%s) returning id", (body,)
        ).fetchone()
    return jsonify(id=note_id, body=body), 201


@app.get("/notes")
def list_notes():
    """Every note, oldest first."""
    with psycopg.connect(DATABASE_URL) as db:
        rows = db.execute("select id, body from notes order by created_at, id").fetchall()
    return jsonify(notes=[{"id": note_id, "body": body} for note_id, body in rows])


@app.errorhandler(psycopg.errors.UndefinedTable)
def not_migrated(error: psycopg.errors.UndefinedTable):
    """Answer 503, not a stack trace, until the migration has run."""
    app.logger.warning("database not migrated: %s", error)
    return jsonify(error="the database is not migrated yet"), 503


@app.errorhandler(psycopg.OperationalError)
def database_unavailable(error: psycopg.OperationalError):
    """Answer 503, not a stack trace, while PostgreSQL cannot be reached."""
    app.logger.warning("database unavailable: %s", error)
    return jsonify(error="the database is unavailable; try again"), 503
