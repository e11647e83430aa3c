"""Installing the kit leaves a team's own pytest as it was.

The page tells a team to `pip install` this package into their app's virtual
environment to run `proven check`. The harness's pytest plugin is opt-in
(`-p proven.plugin`), so their own test run must not change: it must not fail
a run that leaves a child process, force `--dist`, or drop `-n` when
`REDIS_URL` is set. This proof runs a throwaway project's own pytest with this
run's interpreter, where the package is installed, and compares it with the
same run that blocks every plugin the package could bring.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

PROJECT_TEST = '''\
import os
import subprocess


def test_leaves_a_child():
    """A test of the team's that starts a process and leaves it running."""
    child = subprocess.Popen(["sleep", "60"], start_new_session=True)
    with open(os.environ["CHILD_FILE"], "w") as handle:
        handle.write(str(child.pid))
'''

PROJECT_CONFTEST = '''\
import json
import os


def pytest_configure(config):
    """In the run that reports (not an xdist worker): record its options and plugins."""
    if hasattr(config, "workerinput"):
        return
    names = sorted(
        getattr(plugin, "__name__", type(plugin).__name__)
        for plugin in config.pluginmanager.get_plugins()
    )
    with open(os.environ["OPTIONS_FILE"], "w") as handle:
        json.dump(
            {
                "dist": config.option.dist,
                "numprocesses": config.option.numprocesses,
                "plugins": [name for name in names if "proven" in name],
            },
            handle,
        )
'''


def team_run(project: Path, *extra: str) -> tuple[int, dict[str, object], str]:
    """Run the team's pytest in `project`: exit status, recorded options, output."""
    child_file, options_file = project / "child.pid", project / "options.json"
    env = {
        **os.environ,
        "CHILD_FILE": str(child_file),
        "OPTIONS_FILE": str(options_file),
        "REDIS_URL": "redis://127.0.0.1:9/0",
    }
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "1", *extra],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        os.killpg(int(child_file.read_text()), signal.SIGKILL)
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return ran.returncode, json.loads(options_file.read_text()), ran.stdout + ran.stderr


def test_a_team_pytest_is_unchanged_by_the_package(tmp_path: Path):
    """Same outcome and options with the package installed as with all it could bring blocked."""
    project = tmp_path / "team-app"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\n")
    (project / "test_app.py").write_text(PROJECT_TEST)
    (project / "conftest.py").write_text(PROJECT_CONFTEST)

    status, options, output = team_run(project)
    blocked_status, blocked_options, _ = team_run(project, "-p", "no:proven")

    assert status == 0, output
    assert "left behind" not in output, output
    assert options["plugins"] == [], options
    assert options == blocked_options
    assert status == blocked_status
    # The options a team passes are the options its run gets: -n 1 stays, with
    # REDIS_URL set, and the distribution mode is xdist's own default.
    assert options["numprocesses"] == 1
    assert options["dist"] == "load"
