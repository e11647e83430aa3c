"""A leaderboard developed against PostgreSQL, the database it runs on in production."""

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
create table players (
    name varchar(40) primary key,
    team text not null,
    points integer not null
)
"""
app = Flask(__name__)


def query(sql: str, *params: object) -> list[tuple]:
    """Run one statement in its own transaction and answer its rows."""
    with psycopg.connect(DATABASE_URL) as db:
        cursor = db.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def json_object() -> dict:
    """The request's JSON object, or {} when the body is missing, malformed, not an object or
    nested too deeply."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        return {}
    return body if isinstance(body, dict) else {}


@app.cli.command("init-db")
def init_db():
    """Create the table: a one-off admin process, run before the web process starts."""
    query(SCHEMA)
    print("created table players")


@app.post("/players")
def record_score():
    """Set a player's team and points."""
    player = json_object()
    name, team, points = player.get("name"), player.get("team"), player.get("points")
    if not (isinstance(name, str) and 0 < len(name) <= 40 and isinstance(team, str) and team):
        return jsonify(error="name (1 to 40 characters) and team are required"), 400
    if not (name.isprintable() and team.isprintable()):
        return jsonify(error="name and team must be printable characters"), 400
    if not isinstance(points, int) or not -(2**31) <= points < 2**31:
        return jsonify(error="points must be a whole number of at most 9 digits"), 400
    query(
        "insert into players (name, team, points) values (%s, %s, %s) "
        "on conflict (name) do update set team = excluded.team, points = excluded.points",
        name,
        team,
        points,
    )
    return jsonify(name=name, team=team, points=points), 201


@app.get("/players")
def search():
    """Players whose name contains `q`, in any letter case."""
    wanted = request.args.get("q", "")
    if not wanted.isprintable():
        return jsonify(error="q must be printable characters"), 400
    rows = query("select name from players where name ilike %s order by name", f"%{wanted}%")
    return jsonify(players=[name for (name,) in rows])


@app.get("/leaders")
def leaders():
    """The best player of each team."""
    rows = query(
        "select distinct on (team) team, name from players order by team, points desc, name"
    )
    return jsonify(leaders={team: name for team, name in rows})


@app.errorhandler(psycopg.OperationalError)
def database_unavailable(error: psycopg.OperationalError):
    """Answer 503, not a stack trace, while PostgreSQL cannot be reached."""
    app.logger.warning("database unavailable: %s", error)
    return jsonify(error="the database is unavailable; try again"), 503
