"""A leaderboard developed against PostgreSQL, the database it runs on in production."""

import os
import sys

import psycopg
from flask import Flask, jsonify, request

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL.startswith(("postgresql://", "postgres://")):
    sys.exit(f"DATABASE_URL must be set to a postgresql:// URL (got {DATABASE_URL!r})")

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


def json_body() -> object:
    """The request's JSON body, or None when it is missing, malformed or nested too deeply."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


@app.cli.command("init-db")
def init_db():
    """Create the table: a one-off admin process, run before the web process starts."""
    query(SCHEMA)
    print("created table players")


@app.post("/players")
def record_score():
    """Set a player's team and points."""
    player = json_body() or {}
    name, team, points = player.get("name"), player.get("team"), player.get("points")
    if not (isinstance(name, str) and 0 < len(name) <= 40 and isinstance(team, str) and team):
        return jsonify(error="name (1 to 40 characters) and team are required"), 400
    if not isinstance(points, int):
        return jsonify(error="points must be a whole number"), 400
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
    rows = query(
        "select name from players where name ilike %s order by name",
        f"%{request.args.get('q', '')}%",
    )
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
