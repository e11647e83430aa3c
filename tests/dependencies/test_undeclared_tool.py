"""Proofs for Factor II: a program the app runs but does not declare."""

import io
import shutil
import zipfile

import requests

from proven import claim
from proven.paths import EXAMPLES_DIR
from proven.venvs import venv_gunicorn

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
def test_undeclared_tool_works_on_my_machine_only(start_app, isolated_python, observe):
    """Export two notes from the bad twin on the developer's machine, then from each twin in
    a venv built from its requirements.txt, with only the venv's programs on PATH."""
    env = {"SITE_NAME": "team-notes"}
    on_my_machine = start_app(f"{EXAMPLE}/bad", env=env)
    mine = export(on_my_machine)

    results, paths = {}, {}
    for twin in ("bad", "good"):
        python = isolated_python(EXAMPLES_DIR / EXAMPLE / twin / "requirements.txt")
        paths[twin] = str(python.parent)
        isolated = {**env, "PATH": paths[twin]}
        results[twin] = start_app(f"{EXAMPLE}/{twin}", env=isolated, command=venv_gunicorn(python))

    bad, good = export(results["bad"]), export(results["good"])
    error = "FileNotFoundError: [Errno 2] No such file or directory: 'zip'"
    logged = error in results["bad"].output()
    observe(
        bad=f"on the machine (zip at {shutil.which('zip')}) exported {mine.status_code}; in "
        f"its isolated environment exported {bad.status_code}, log has the FileNotFoundError: "
        f"{logged}",
        good=f"in its isolated environment exported {good.status_code}, "
        f"{len(unzipped(good)) if good.ok else 0} of {len(NOTES['notes'])} notes in the archive",
    )

    assert shutil.which("zip") is not None and unzipped(mine) == NOTES["notes"]
    assert shutil.which("zip", path=paths["bad"]) is None  # the environment has no zip
    assert bad.status_code == 500 and logged
    assert good.status_code == 200
    assert unzipped(good) == NOTES["notes"]
