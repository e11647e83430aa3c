"""Proofs for Factor X: SQLite on the laptop hides the bugs PostgreSQL shows in production."""

import requests

from proven import claim, run_to_exit
from proven.scenarios import load_scenario

EXAMPLE = "dev-prod-parity/leaderboard"
INIT_DB = load_scenario(EXAMPLE).setup_command
"""The one-off admin process that creates the table: `flask --app app.py init-db`."""
PLAYERS = [
    ("Ada Lovelace", "analysts", 31),
    ("Charles Babbage", "engines", 27),
    ("Grace Hopper", "compilers", 40),
    ("Augusta Ada King-Noel", "analysts", 12),  # 21 characters
]
PASSES = {
    "scores recorded": [201, 201, 201, 201],
    "search for 'ada'": ["Ada Lovelace", "Augusta Ada King-Noel"],
    "leaders": {
        "analysts": "Ada Lovelace",
        "compilers": "Grace Hopper",
        "engines": "Charles Babbage",
    },
}
FAILS = {"scores recorded": [201, 201, 201, 500], "search for 'ada'": [], "leaders": 500}


def developer_test(start_app, twin: str, database_url: str):
    """Create the table, start the app, and observe what the developer's test checks."""
    env = {"DATABASE_URL": database_url}
    created = run_to_exit(f"{EXAMPLE}/{twin}", env=env, command=INIT_DB)
    assert created.code == 0, created.output
    app = start_app(f"{EXAMPLE}/{twin}", env=env)
    recorded = [
        requests.post(f"{app.url}/players", json=dict(name=n, team=t, points=p), timeout=5)
        for n, t, p in PLAYERS
    ]
    found = requests.get(f"{app.url}/players", params={"q": "ada"}, timeout=5)
    leaders = requests.get(f"{app.url}/leaders", timeout=5)
    observed = {
        "scores recorded": [response.status_code for response in recorded],
        "search for 'ada'": found.json()["players"],
        "leaders": leaders.json()["leaders"] if leaders.ok else leaders.status_code,
    }
    return observed, app.output()


def summary(seen: dict) -> str:
    """What the developer's test saw, in a few words."""
    leaders = seen["leaders"]
    leaders = f"{len(leaders)} leaders" if isinstance(leaders, dict) else f"leaders {leaders}"
    found = len(seen["search for 'ada'"])
    return f"scores {seen['scores recorded']}, search found {found}, {leaders}"


@claim(
    "sqlite-hides-postgres-bugs",
    "The same code passes its test on SQLite in development and fails it on PostgreSQL in "
    "production: a name longer than its column, a search that ignores letter case and a "
    "loose GROUP BY all break.",
)
def test_same_code_passes_on_sqlite_and_fails_on_postgres(start_app, schema_url, tmp_path, observe):
    """Run the bad leaderboard and the developer's test on a SQLite file, then on PostgreSQL;
    run the good one, developed on PostgreSQL, on PostgreSQL."""
    dev, _ = developer_test(start_app, "bad", f"sqlite:///{tmp_path}/leaderboard.db")
    prod, prod_log = developer_test(start_app, "bad", schema_url("prod"))
    good, _ = developer_test(start_app, "good", schema_url("prod_good"))
    observe(
        bad=f"on SQLite: {summary(dev)}; on PostgreSQL: {summary(prod)}",
        good=f"on PostgreSQL: {summary(good)}",
    )

    assert dev == PASSES
    assert prod == FAILS
    assert "value too long for type character varying(20)" in prod_log
    assert 'column "players.name" must appear in the GROUP BY clause' in prod_log
    assert good == PASSES


@claim(
    "postgres-in-dev-catches-bugs",
    "With PostgreSQL in development too, the developer's test fails on the laptop exactly as "
    "it does in production, before any deploy; the fixed app refuses SQLite and gives the "
    "same answers in development and in production.",
)
def test_postgres_on_the_laptop_catches_the_bugs_before_deploy(start_app, schema_url, observe):
    """Run the developer's test on the bad code against a laptop PostgreSQL and a production
    one (two empty schemas of one server: the same type and version), then the good code on
    both; try to set the good code up on SQLite."""
    laptop, _ = developer_test(start_app, "bad", schema_url("laptop"))
    in_prod, _ = developer_test(start_app, "bad", schema_url("prod"))
    on_sqlite = run_to_exit(
        f"{EXAMPLE}/good", env={"DATABASE_URL": "sqlite:///leaderboard.db"}, command=INIT_DB
    )
    dev, _ = developer_test(start_app, "good", schema_url("dev"))
    prod, _ = developer_test(start_app, "good", schema_url("prod_good"))
    refused = (
        "DATABASE_URL must be set to a postgresql:// URL (got another form)" in on_sqlite.output
    )
    observe(
        bad=f"on the laptop's PostgreSQL: {summary(laptop)}; in production: {summary(in_prod)}",
        good=f"on SQLite: exit {on_sqlite.code}{', DATABASE_URL refused' if refused else ''}; "
        f"laptop: {summary(dev)}; production: {'the same' if dev == prod else summary(prod)}",
    )

    assert laptop == in_prod == FAILS
    assert on_sqlite.code != 0
    assert refused
    assert dev == prod == PASSES
