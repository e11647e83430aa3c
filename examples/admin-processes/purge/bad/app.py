"""A to-do list in PostgreSQL, with a one-off admin script, purge_done.py, beside it."""

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

SCHEMA = """
create table if not exists tasks (
    id bigint generated always as identity primary key,
    title text not null,
    done boolean not null default false
)
"""
BIGGEST_ID = 2**63 - 1  # a bigint
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
def migrate():
    """Create the table if it is missing: a one-off process, run before the web processes."""
    with psycopg.connect(DATABASE_URL) as db:
        db.execute(SCHEMA)
    print("schema up to date")


@app.post("/tasks")
def add_task():
    """Add an open task."""
    title = json_object().get("title")
    if not isinstance(title, str) or not 0 < len(title) <= 200 or not title.isprintable():
        return jsonify(error="title must be 1 to 200 printable characters"), 400
    with psycopg.connect(DATABASE_URL) as db:
        (task_id,) = db.execute(
            "insert into tasks (title) values (%s) returning id", (title,)
        ).fetchone()
    return jsonify(id=task_id, title=title, done=False), 201


@app.post("/tasks/<int:task_id>/done")
def finish_task(task_id: int):
    """Mark a task as done."""
    if task_id > BIGGEST_ID:
        return jsonify(error=f"no task {task_id}"), 404
    with psycopg.connect(DATABASE_URL) as db:
        found = db.execute("update tasks set done = true where id = %s", (task_id,)).rowcount
    if not found:
        return jsonify(error=f"no task {task_id}"), 404
    return jsonify(id=task_id, done=True)


@app.get("/tasks")
def list_tasks():
    """Every task, oldest first."""
    with psycopg.connect(DATABASE_URL) as db:
        rows = db.execute("select id, title, done from tasks order by id").fetchall()
    return jsonify(tasks=[{"id": i, "title": title, "done": done} for i, title, done in rows])


@app.errorhandler(psycopg.OperationalError)
def database_unavailable(error: psycopg.OperationalError):
    """Answer 503, not a stack trace, while PostgreSQL cannot be reached."""
    app.logger.warning("database unavailable: %s", error)
    return jsonify(error="the database is unavailable; try again"), 503
