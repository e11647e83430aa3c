"""Contracts every good example keeps, whatever its page is about: it fails fast.

Without the settings its pair's `scenario.toml` says it `required`, every good
twin stops at start, each way a reader or a platform starts it: it exits with
status 3 within `DEADLINE` seconds, and one line of its output names the first
of those settings (`REDIS_URL must ...`), with no traceback. The ways:

- plain gunicorn, `gunicorn --bind 127.0.0.1:0 app:app`,
  in the twin's folder: no `--preload`, so the worker imports the app;
- each line of the twin's `Procfile`, in its folder, with `PORT` set;
- each command of its page's "Run it yourself" section that starts it;
- `flask --app app run --port 0`, in its folder;
- gunicorn with `--preload`, which imports the app in the master.

The environment is clean: `PATH` (this run's venv first), and nothing the app
requires. 3 is gunicorn's "worker failed to boot": a worker that exits 3 makes
the master stop, where a worker that exits 1 (`sys.exit("message")`) is forked
again, forever, on an open port that never answers. A good twin that needs no
setting says why in its `scenario.toml` (`required = "none: why"`) and must
then serve under plain gunicorn with the same clean environment.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from proven.paths import DOCS_DIR, EXAMPLES_DIR, ROOT
from proven.processes import AppProcess, Exit, run_to_exit
from proven.scenarios import Scenario, scenarios

DEADLINE = 15.0
"""Seconds a start may take to exit; a twin still running then has not failed fast."""

PAIRS = scenarios()
GUNICORN = "gunicorn --bind 127.0.0.1:0 app:app"
"""Plain gunicorn, as a reader types it in the twin's folder (no `--preload`)."""

IN_FOLDER = {
    "gunicorn": GUNICORN,
    "flask run": "flask --app app run --port 0",
    "gunicorn --preload": GUNICORN.replace("gunicorn ", "gunicorn --preload ", 1),
}
"""The starts every good twin gets, run in its folder."""

SERVERS = {"gunicorn", "python", "python3"}
"""Programs whose command on a page starts an app (and `flask run`, not a one-off `flask`)."""


@dataclass(frozen=True)
class Start:
    """One way to start one good twin: a shell line, run in `cwd`."""

    pair: Scenario
    way: str
    """How a reader names it: `gunicorn`, `Procfile web`, `page`, `flask run`, ..."""
    line: str
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    """Variables a platform sets that are not the app's config: `PORT` for a Procfile line."""

    def command(self, example: Path, port: int) -> list[str]:
        """Its argv, as a [`CommandBuilder`][proven.processes.CommandBuilder]: `sh -c`."""
        return ["sh", "-c", f"cd {shlex.quote(str(self.cwd))} && exec {self.line}"]

    def environment(self) -> dict[str, str]:
        """A clean environment: `PATH` (this run's venv first) and `env`, no config at all."""
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"
        return {"PATH": path, **self.env}

    def run(self) -> tuple[Exit, float]:
        """Run it until it exits (or answers HTTP, or `DEADLINE`); its end and seconds taken."""
        began = time.monotonic()
        twin = self.pair.twin("good")
        ended = run_to_exit(twin, self.environment(), self.command, timeout=DEADLINE)
        return ended, time.monotonic() - began


def run_it_yourself(slug: str) -> list[tuple[str, Path]]:
    """The app starts of a page's "Run it yourself" section: (command, working directory).

    Continued lines are joined, `cd` moves the working directory, and what is
    not a command is dropped: variable assignments (the clean environment
    replaces them), a trailing `&`, a comment, a pipe. Ports become 0, so that
    the starts run side by side.
    """
    page = (DOCS_DIR / f"{slug}.md").read_text()
    section = re.search(r"^## Run it yourself.*?(?=^## |\Z)", page, re.MULTILINE | re.DOTALL)
    blocks = re.findall(r"^```sh\n(.*?)^```", section.group(0) if section else "", re.M | re.S)
    found, cwd = [], ROOT
    for line in "\n".join(blocks).replace("\\\n", " ").splitlines():
        line = line.split(" | ")[0].strip().removesuffix("&")
        words = [w for w in shlex.split(line, comments=True) if not re.match(r"^[A-Z_]+=", w)]
        if words[:1] == ["cd"]:
            cwd = (cwd / words[1]).resolve()
        elif words and (
            Path(words[0]).name in SERVERS or words[:1] + words[-1:] == ["flask", "run"]
        ):
            found.append((re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:0", shlex.join(words)), cwd))
    return found


def started_folder(command: str, cwd: Path) -> Path:
    """The example folder a page's command serves: `--pythonpath`, a script's folder, or `cwd`."""
    words = shlex.split(command)
    if "--pythonpath" in words:
        return (cwd / words[words.index("--pythonpath") + 1]).resolve()
    scripts = [w for w in words[1:] if w.endswith(".py")]
    return (cwd / scripts[0]).resolve().parent if scripts else cwd


def starts(pair: Scenario) -> list[Start]:
    """Every way its good twin is started: in its folder, its Procfile, its page."""
    folder = pair.folder / "good"
    found = [Start(pair, way, line, folder) for way, line in IN_FOLDER.items()]
    procfile = folder / "Procfile"
    for kind, line in re.findall(
        r"^(\w+):\s*(.+)$", procfile.read_text() if procfile.exists() else "", re.M
    ):
        found.append(Start(pair, f"Procfile {kind}", line, folder, {"PORT": "0"}))
    slug = pair.name.split("/")[0]
    for command, cwd in dict.fromkeys(run_it_yourself(slug)):
        if started_folder(command, cwd) == folder.resolve():
            found.append(Start(pair, "page", command, cwd))
    return found


FAILING_FAST = [pair for pair in PAIRS if pair.required]
NO_CONFIG = [pair for pair in PAIRS if pair.needs_no_config]
STARTS = [start for pair in FAILING_FAST for start in starts(pair)]


def run_all(chosen: list[Start]) -> list[tuple[Start, Exit, float]]:
    """Run the starts side by side, eight at a time: seconds for all, not minutes."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return [
            (start, *ended)
            for start, ended in zip(chosen, pool.map(Start.run, chosen), strict=True)
        ]


def test_every_good_twin_says_what_it_requires():
    """Every pair with a good twin names its required settings, or why it needs none."""
    good = sorted(path.parent.parent for path in EXAMPLES_DIR.glob("*/*/good/app.py"))
    assert good == [pair.folder for pair in PAIRS], "a good twin without a scenario.toml"
    for pair in PAIRS:
        where = f"examples/{pair.name}/scenario.toml"
        assert pair.required or pair.needs_no_config, (
            f'{where}: add required = ["NAME", ...], the settings the good twin stops at start '
            'without, or required = "none: <why>"'
        )
        source = "".join(p.read_text() for p in (pair.folder / "good").glob("*.py"))
        for name in pair.required:
            assert f'"{name}"' in source, f"{where}: the good twin never reads {name}"


def test_every_good_twin_stops_at_start_every_way():
    """Start every good twin each way, without its config, all side by side; each must exit
    with status 3 within the deadline, printing a line that names its first required setting
    and no traceback."""
    ended = run_all(STARTS)
    failures = []
    for start, exit, seconds in ended:
        named = [
            line for line in exit.output.splitlines() if re.match(r"^[A-Z][A-Z0-9_]* must ", line)
        ]
        expected = f"{start.pair.required[0]} must "
        if (
            exit.code != 3
            or len(named) != 1
            or not named[0].startswith(expected)
            or "Traceback" in exit.output
        ):
            failures.append(
                f"{start.pair.name} {start.way} ({start.line}): exit {exit.code} after "
                f"{seconds:.1f} s, printed:\n{exit.output[-1500:]}"
            )
    assert not failures, (
        f"{len(failures)} of {len(STARTS)} starts did not fail fast:\n" + "\n".join(failures)
    )


@pytest.mark.parametrize("pair", NO_CONFIG, ids=lambda pair: pair.name)
def test_a_good_twin_that_needs_no_config_serves_without_any(pair: Scenario):
    """A good twin whose scenario.toml says it needs no setting serves under plain gunicorn
    with the same clean environment."""
    start = Start(pair, "gunicorn", GUNICORN, pair.folder / "good")
    with AppProcess(pair.twin("good"), start.environment(), start.command) as app:
        assert app.output().count("Booting worker") == 1
