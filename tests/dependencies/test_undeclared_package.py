"""Proofs for Factor II: a package the app imports but does not declare."""

import subprocess
import sys

import requests

from harness import claim, run_to_exit
from harness.processes import EXAMPLES_DIR
from harness.venvs import read_requirements, venv_gunicorn

EXAMPLE = "dependencies/undeclared-package"
NOTE = {"markdown": "# Groceries\n\n- *oat* milk"}
HTML = "<h1>Groceries</h1>\n<ul>\n<li><em>oat</em> milk</li>\n</ul>"


def isolated(python) -> dict[str, str]:
    """The environment of a slim image: the venv's programs on PATH and nothing else."""
    return {"SITE_NAME": "Team notes", "PATH": str(python.parent)}


def installed(python) -> set[str]:
    """`name==version` of every distribution the environment of `python` can import."""
    script = "import importlib.metadata as m\nfor d in m.distributions(): print(d.name, d.version)"
    listing = subprocess.run([python, "-c", script], capture_output=True, text=True, check=True)
    return {"==".join(line.lower().split()) for line in listing.stdout.splitlines()}


@claim(
    "declared-and-isolated",
    "The good app declares every package it needs, pinned, and runs in a fresh virtual "
    "environment built from that file alone, which sees nothing else on the machine.",
)
def test_good_runs_from_its_declaration_alone(start_app, isolated_python):
    """Build a fresh venv with `pip install --no-deps` from `requirements.txt` alone, compare
    what it holds with the file, run `pip check`, and serve the app from it."""
    declared = EXAMPLES_DIR / EXAMPLE / "good" / "requirements.txt"
    python = isolated_python(declared)

    assert installed(python) == {pin.lower() for pin in read_requirements(declared)}
    check = subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout
    unseen = subprocess.run([python, "-c", "import yaml"], capture_output=True, text=True)
    assert "No module named 'yaml'" in unseen.stderr  # installed in the dev environment only

    good = start_app(f"{EXAMPLE}/good", env=isolated(python), command=venv_gunicorn(python))
    rendered = requests.post(f"{good.url}/render", json=NOTE, timeout=5)
    assert rendered.json() == {"site": "Team notes", "html": HTML}

    bad_python = isolated_python(EXAMPLES_DIR / EXAMPLE / "bad" / "requirements.txt")
    bad = run_to_exit(f"{EXAMPLE}/bad", env=isolated(bad_python), command=venv_gunicorn(bad_python))
    assert bad.code not in (None, 0)


@claim(
    "undeclared-package",
    "An app that imports a package its requirements.txt forgets works on the developer's "
    "machine and stops at start-up in an isolated environment: "
    "ModuleNotFoundError: No module named 'markdown'.",
)
def test_undeclared_package_works_on_my_machine_only(start_app, isolated_python):
    """Start the bad twin with the developer's Python, then in a venv built from its own
    requirements.txt; then start the good twin in its venv."""
    on_my_machine = start_app(f"{EXAMPLE}/bad", env={"SITE_NAME": "Team notes"})
    assert requests.post(f"{on_my_machine.url}/render", json=NOTE, timeout=5).json()["html"] == HTML

    bad_python = isolated_python(EXAMPLES_DIR / EXAMPLE / "bad" / "requirements.txt")
    bad = run_to_exit(f"{EXAMPLE}/bad", env=isolated(bad_python), command=venv_gunicorn(bad_python))
    assert bad.code not in (None, 0)
    assert "ModuleNotFoundError: No module named 'markdown'" in bad.output

    good_python = isolated_python(EXAMPLES_DIR / EXAMPLE / "good" / "requirements.txt")
    good = start_app(
        f"{EXAMPLE}/good", env=isolated(good_python), command=venv_gunicorn(good_python)
    )
    assert requests.post(f"{good.url}/render", json=NOTE, timeout=5).json()["html"] == HTML
