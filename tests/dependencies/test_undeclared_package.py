"""Proofs for Factor II: a package the app imports but does not declare."""

import subprocess
import sys

import requests

from proven import claim, run_to_exit
from proven.paths import EXAMPLES_DIR
from proven.venvs import read_requirements, venv_gunicorn

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
    "environment built from that file alone, which sees nothing else on the machine; the bad "
    "app's file, built the same way, cannot start it.",
)
def test_good_runs_from_its_declaration_alone(start_app, isolated_python, observe):
    """Build a fresh venv with `pip install --no-deps` from `requirements.txt` alone, compare
    what it holds with the file, run `pip check`, and serve the app from it."""
    declared = EXAMPLES_DIR / EXAMPLE / "good" / "requirements.txt"
    python = isolated_python(declared)
    pins = read_requirements(declared)

    holds = installed(python)
    check = subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    config = (python.parent.parent / "pyvenv.cfg").read_text()
    on_machine = subprocess.run([sys.executable, "-c", "import yaml"], capture_output=True)
    unseen = subprocess.run([python, "-c", "import yaml"], capture_output=True, text=True)
    good = start_app(f"{EXAMPLE}/good", env=isolated(python), command=venv_gunicorn(python))
    answer = requests.post(f"{good.url}/render", json=NOTE, timeout=5)

    bad_python = isolated_python(EXAMPLES_DIR / EXAMPLE / "bad" / "requirements.txt")
    bad = run_to_exit(f"{EXAMPLE}/bad", env=isolated(bad_python), command=venv_gunicorn(bad_python))
    observe(
        bad=f"environment built from its {len(read_requirements(bad_python_file()))} pins: "
        f"the app exited at start-up with code {bad.code}",
        good=f"environment held {len(holds)} distributions, exactly its {len(pins)} pins; "
        f"pip check exit {check.returncode}; import yaml failed there (works on the machine); "
        f"render answered {answer.status_code}",
    )

    assert all("==" in pin for pin in pins)  # every declaration pinned
    assert holds == {pin.lower() for pin in pins}  # exactly what the file declares
    assert check.returncode == 0, check.stdout  # and nothing a declared package needs is missing
    assert "include-system-site-packages = false" in config
    assert on_machine.returncode == 0  # PyYAML is on the machine (the dev environment) ...
    assert "No module named 'yaml'" in unseen.stderr  # ... the fresh environment misses it
    assert answer.json() == {"site": "Team notes", "html": HTML}
    assert bad.code not in (None, 0)


def rendered(html: str) -> str:
    """What a twin did with the note, in the reader's words."""
    return "rendered the note" if html == HTML else f"answered {html[:40]!r}"


def bad_python_file():
    """The bad twin's declaration."""
    return EXAMPLES_DIR / EXAMPLE / "bad" / "requirements.txt"


@claim(
    "undeclared-package",
    "An app that imports a package its requirements.txt forgets works on the developer's "
    "machine and stops at start-up in an isolated environment: "
    "ModuleNotFoundError: No module named 'markdown'.",
)
def test_undeclared_package_works_on_my_machine_only(start_app, isolated_python, observe):
    """Start the bad twin with the developer's Python, then in a venv built from its own
    requirements.txt; then start the good twin in its venv."""
    on_my_machine = start_app(f"{EXAMPLE}/bad", env={"SITE_NAME": "Team notes"})
    mine = requests.post(f"{on_my_machine.url}/render", json=NOTE, timeout=5).json()["html"]

    bad_python = isolated_python(bad_python_file())
    bad = run_to_exit(f"{EXAMPLE}/bad", env=isolated(bad_python), command=venv_gunicorn(bad_python))
    error = [line for line in bad.output.splitlines() if line.startswith("ModuleNotFoundError")]

    good_python = isolated_python(EXAMPLES_DIR / EXAMPLE / "good" / "requirements.txt")
    good = start_app(
        f"{EXAMPLE}/good", env=isolated(good_python), command=venv_gunicorn(good_python)
    )
    isolated_html = requests.post(f"{good.url}/render", json=NOTE, timeout=5).json()["html"]
    observe(
        bad=f"on the developer's machine {rendered(mine)}; in its own environment exited "
        f"with code {bad.code}: {error[0] if error else 'no error line'}",
        good=f"in its own environment {rendered(isolated_html)}",
    )

    assert mine == HTML
    assert bad.code not in (None, 0)
    assert "ModuleNotFoundError: No module named 'markdown'" in bad.output
    assert isolated_html == HTML
