"""A leaderboard developed against SQLite on a laptop, and run on PostgreSQL in production."""

import os
import sqlite3
from contextlib import closing

import psycopg
from flask import Flask, jsonify, request

# On a laptop: a SQLite file, nothing to install. In production: a postgresql:// URL.
DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite:///leaderboard.db")

SCHEMA = """
create table players (
    name varchar(20) primary key,
    team text not null,
    points integer not null
)
"""
app = Flask(__name__)


def query(sql: str, *params: object) -> list[tuple]:
    """Run one statement in its own transaction and answer its rows."""
    if DATABASE_URL.startswith("sqlite:///"):
        with closing(sqlite3.connect(DATABASE_URL.removeprefix("sqlite:///"))) as db, db:
            cursor = db.execute(sql.replace("%s", "?"), params)
            return cursor.fetchall() if cursor.description else []
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
    rows = query("select name from players where name like %s order by name", f"%{wanted}%")
    return jsonify(players=[name for (name,) in rows])


@app.get("/leaders")
def leaders():
    """The best player of each team."""
    rows = query("select team, name, max(points) from players group by team order by team")
    return jsonify(leaders={team: name for team, name, _best in rows})


@app.errorhandler(psycopg.OperationalError)
def database_unavailable(error: psycopg.OperationalError):
    """Answer 503, not a stack trace, while PostgreSQL cannot be reached."""
    app.logger.warning("database unavailable: %s", error)
    return jsonify(error="the database is unavailable; try again"), 503
