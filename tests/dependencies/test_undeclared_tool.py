"""Proofs for Factor II: a program the app runs but does not declare."""

import io
import zipfile

import requests

from harness import claim
from harness.processes import EXAMPLES_DIR
from harness.venvs import venv_gunicorn

EXAMPLE = "dependencies/undeclared-tool"
NOTES = {"notes": {"todo.md": "- oat milk\n", "ideas.md": "- a proof for every claim\n"}}


def export(app) -> requests.Response:
    return requests.post(f"{app.url}/export", json=NOTES, timeout=10)


def unzipped(response: requests.Response) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


@claim(
    "undeclared-tool",
    "An app that shells out to a program it never declares works on a machine that happens "
    "to have it and fails in an isolated environment: FileNotFoundError: [Errno 2] No such "
    "file or directory: 'zip'.",
)
def test_undeclared_tool_works_on_my_machine_only(start_app, isolated_python):
    """Export two notes from the bad twin on the developer's machine, then from each twin in
    a venv built from its requirements.txt, with only the venv's programs on PATH."""
    env = {"SITE_NAME": "team-notes"}
    on_my_machine = start_app(f"{EXAMPLE}/bad", env=env)
    assert unzipped(export(on_my_machine)) == NOTES["notes"]

    results = {}
    for twin in ("bad", "good"):
        python = isolated_python(EXAMPLES_DIR / EXAMPLE / twin / "requirements.txt")
        isolated = {**env, "PATH": str(python.parent)}
        results[twin] = start_app(f"{EXAMPLE}/{twin}", env=isolated, command=venv_gunicorn(python))

    bad = export(results["bad"])
    assert bad.status_code == 500
    assert "FileNotFoundError: [Errno 2] No such file or directory: 'zip'" in (
        results["bad"].output()
    )
    good = export(results["good"])
    assert good.status_code == 200
    assert unzipped(good) == NOTES["notes"]
