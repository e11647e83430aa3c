"""Soak runs: each pair whose `[soak]` table says how, under load, kill -9s and a service restart.

Each run starts three processes of an example behind round-robin clients (8
by default), kills a random process with SIGKILL at random points and starts
it again, restarts the backing service once (a durable Redis, or PostgreSQL:
what it acknowledged survives its restart), then reads back what the app
holds. The good twin must lose no acknowledged write and answer no 5xx outside
a recovery window; the bad twin's losses are measured and printed, and must be
above zero where the table says `bad_loses = true`.

    .venv/bin/pytest tests/soak                       # a few thousand writes per run
    .venv/bin/pytest tests/soak --soak-requests 1000 --soak-seconds 6  # the CI budget

Which pairs are soaked, and how, is declared by each pair: the `[soak]` table
of its `scenario.toml` says how a client writes and how what the app holds is
read back (`proven.soak.Stateful.from_scenario`), or `skip = "why"` when a
soak would prove nothing. A pair whose `[env]` names a backing service must
have one; no test here lists examples.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from proven import AppProcess, PostgresServer, run_to_exit
from proven.scenarios import FILE_NAME, Scenario, ScenarioError, scenarios
from proven.soak import SERVICES, SoakReport, Stateful, soak

pytestmark = pytest.mark.soak

SCENARIOS = scenarios()
SOAKED = [
    pytest.param(scenario, id=scenario.name)
    for scenario in SCENARIOS
    if scenario.soak and "skip" not in scenario.soak
]
"""Every pair whose `[soak]` table says how to write and read back, by its scenario's name."""

COPIES = 3
KILLS = 3


def test_every_soak_table_is_soak_or_says_why_not():
    """Each `[soak]` table is a soak `Stateful.from_scenario` reads, or `skip` with a reason."""
    wrong = []
    for scenario in SCENARIOS:
        table, where = scenario.soak, f"examples/{scenario.name}/{FILE_NAME}"
        if "skip" in table:
            why = table["skip"]
            if set(table) != {"skip"} or not isinstance(why, str) or not why.strip():
                wrong.append(f"{where}: a skipped [soak] holds `skip` alone, saying why")
        elif table:
            try:
                Stateful.from_scenario(scenario)
            except ScenarioError as error:
                wrong.append(str(error))
    assert not wrong, "\n".join(wrong)


def uses_a_backing_service(scenario: Scenario) -> bool:
    """Whether the pair's `[env]` names `{redis_url}` or `{database_url}`."""
    return bool(scenario.placeholders() & set(SERVICES))


def test_every_stateful_good_example_is_soaked():
    """A pair configured with a backing service has a `[soak]` table: a soak, or why not."""
    unsoaked = [
        f"examples/{scenario.name}/{FILE_NAME}"
        for scenario in SCENARIOS
        if uses_a_backing_service(scenario) and not scenario.soak
    ]
    if unsoaked:
        pytest.fail(
            f"{', '.join(unsoaked)}: add a [soak] table after [env] that says how a "
            'client writes and reads back (write = "POST /notes", json = { text = "{value}" }, '
            'read = "GET /notes", list = "notes"; see proven.soak.Stateful.from_scenario), or '
            '`skip = "why"` saying in one line why a soak would prove nothing',
            pytrace=False,
        )


@pytest.fixture
def backing_service(redis_servers, request):
    """Start the scenario's backing service: a durable Redis, or a PostgreSQL cluster."""

    def start(stateful: Stateful):
        if stateful.service == "redis":
            return redis_servers(durable=True)
        server = PostgresServer()
        request.addfinalizer(server.close)
        return server.start()

    return start


def set_up(scenario: Scenario, twin: str, env: dict[str, str]) -> None:
    """Run the scenario's one-off admin command, if it has one, against the fresh service."""
    if scenario.setup is None:
        return
    done = run_to_exit(scenario.twin(twin), env=env, command=scenario.setup_command)
    assert done.code == 0, done.output


def start_side_by_side(start_app, example: str, env: dict[str, str]) -> list[AppProcess]:
    """Start the `COPIES` copies of `example` at once, each waiting for its own to answer."""
    with ThreadPoolExecutor(max_workers=COPIES) as pool:
        return list(pool.map(lambda _: start_app(example, env=env), range(COPIES)))


def kill_all(apps: list[AppProcess]) -> None:
    """Kill the copies once the run is read back: a graceful stop would check nothing more."""
    for app in apps:
        app.kill()


@pytest.fixture
def soak_twin(start_app, backing_service, soak_budget, keep_report):
    """Soak one twin of a pair: its service, its set-up, `COPIES` copies, kills; the report."""

    def run(scenario: Scenario, twin: str) -> SoakReport:
        stateful = Stateful.from_scenario(scenario)
        service = backing_service(stateful)
        env = stateful.env(service.url)
        set_up(scenario, twin, env)
        apps = start_side_by_side(start_app, scenario.twin(twin), env)
        report = keep_report(soak(stateful, apps, service, kills=KILLS, **soak_budget))
        kill_all(apps)
        return report

    return run


@pytest.mark.parametrize("scenario", SOAKED)
def test_good_twin_loses_no_acknowledged_write(scenario, soak_twin):
    """Soak the good twin: no acknowledged write lost, no 5xx outside a recovery window."""
    report = soak_twin(scenario, "good")

    assert report.kills == KILLS and report.service_restarts == 1
    assert report.acknowledged > 0
    assert report.lost == 0, report.summary()
    assert report.errors_5xx_outside_recovery == 0, report.summary()
    assert report.extra == 0, report.summary()


@pytest.mark.parametrize("scenario", SOAKED)
def test_bad_twin_losses_are_measured(scenario, soak_twin):
    """Soak the bad twin the same way and report what it lost; it must lose some where the
    pair's `[soak]` table says `bad_loses = true` (its state lives in the process)."""
    report = soak_twin(scenario, "bad")

    assert report.kills == KILLS and report.acknowledged > 0
    if scenario.soak.get("bad_loses"):
        assert report.lost > 0, report.summary()
