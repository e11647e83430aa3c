"""The GitHub Action (`action.yml`): its metadata as GitHub documents it, and its steps, run.

GitHub's metadata syntax for a composite action: `name`, `description` and
`runs` are required; every input has a `description`; every output of a
composite action has a `description` and a `value`; `runs.using` is
`composite` and each step either `run`s a command (and then names its
`shell`) or `uses` an action. The steps are then run as a runner runs them:
`bash --noprofile --norc -eo pipefail` on each `run`, with `${{ ... }}`
filled from the inputs, `github.action_path` and earlier steps' outputs, and
`GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` pointed at files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from proven.paths import ROOT

ACTION = ROOT / "action.yml"

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
"""What an input or output id may be (GitHub: a letter or `_`, then alphanumerics, `-`, `_`)."""

SHELLS = {"bash", "pwsh", "python", "sh", "cmd", "powershell"}
"""The shells GitHub's workflow syntax lists for a step."""

STEP_KEYS = {"run", "shell", "if", "name", "id", "env", "working-directory", "uses", "with"}
STEP_KEYS |= {"continue-on-error"}
"""The keys GitHub documents for `runs.steps[*]` of a composite action."""

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def load() -> dict[str, Any]:
    """The action's metadata, parsed."""
    return yaml.safe_load(ACTION.read_text())


def test_action_metadata_is_a_composite_action_as_github_documents_it():
    """Required keys, described inputs and outputs, composite steps with a shell for every run."""
    action = load()
    assert set(action) <= {"name", "author", "description", "inputs", "outputs", "runs", "branding"}
    for key in ("name", "description"):
        assert isinstance(action[key], str) and action[key].strip(), key
    for input_id, spec in action["inputs"].items():
        assert IDENTIFIER.match(input_id), input_id
        assert set(spec) <= {"description", "required", "default", "deprecationMessage"}, input_id
        assert isinstance(spec["description"], str) and spec["description"], input_id
        assert isinstance(spec.get("required", False), bool), input_id
        assert isinstance(spec.get("default", ""), str), input_id
    for output_id, spec in action["outputs"].items():
        assert IDENTIFIER.match(output_id), output_id
        assert set(spec) == {"description", "value"}, output_id
    assert action["branding"]["color"] in {
        "white",
        "black",
        "yellow",
        "blue",
        "green",
        "orange",
        "red",
        "purple",
        "gray-dark",
    }
    runs = action["runs"]
    assert set(runs) == {"using", "steps"} and runs["using"] == "composite"
    ids: list[str] = []
    for step in runs["steps"]:
        assert set(step) <= STEP_KEYS, step
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step.get("shell") in SHELLS, step
        else:
            assert "shell" not in step and re.match(r"^[\w.-]+/[\w.-]+@\S+$", step["uses"]), step
        for expression in EXPRESSION.findall(yaml.safe_dump(step)):
            root, *rest = expression.split(".")
            if root == "inputs":
                assert rest[0] in action["inputs"], expression
            elif root == "steps":
                assert rest[0] in ids and rest[1] == "outputs", expression
            else:
                assert expression == "github.action_path", expression
        if "id" in step:
            ids.append(step["id"])
    for spec in action["outputs"].values():
        assert EXPRESSION.fullmatch(spec["value"])[1].split(".")[1] in ids, spec


SCHEMA = ROOT / "tests" / "site" / "schemas" / "github-action.json"
"""SchemaStore's schema of an action's metadata (vendored, see that folder's README)."""


def test_action_metadata_matches_schemastores_schema():
    """`action.yml` is valid against the published schema; the schema catches what it must.

    Without a step's `shell`, an input's `description` or an output's `value`,
    the same file is refused: the check is not vacuous.
    """
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    action = load()
    assert [error.message for error in validator.iter_errors(action)] == []
    for broken in (
        lambda a: a["runs"]["steps"][0].pop("shell"),
        lambda a: a["inputs"]["start"].pop("description"),
        lambda a: a["outputs"]["json"].pop("value"),
    ):
        copy = load()
        broken(copy)
        assert list(validator.iter_errors(copy)), "the schema accepted a broken action"


def _fill(text: str, context: dict[str, Any]) -> str:
    """`text` with each `${{ a.b.c }}` replaced by its value in `context` (paths only)."""

    def value(found: re.Match[str]) -> str:
        place: Any = context
        for part in found[1].split("."):
            place = place[part]
        return str(place)

    return EXPRESSION.sub(value, text)


def _filled(value: Any, context: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _filled(v, context) for k, v in value.items()}
    return _fill(str(value), context)


def run_action(
    inputs: dict[str, str], checkout: Path, workspace: Path, tmp: Path
) -> dict[str, Any]:
    """Run the steps of the action in `checkout` as a runner does: what each did, and the summary.

    The steps run in `workspace`, with their files in `tmp`. A `uses` step is not
    run: its `with` is filled in and kept. Like a runner, it stops at the first
    step that fails.
    """
    action = load()
    given = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    context: dict[str, Any] = {
        "inputs": {**given, **inputs},
        "github": {"action_path": str(checkout)},
        "steps": {},
    }
    tmp.mkdir()
    summary = tmp / "summary.md"
    summary.touch()
    (tmp / "runner").mkdir(exist_ok=True)
    done: dict[str, Any] = {"steps": [], "summary": summary}
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))}
    for number, step in enumerate(action["runs"]["steps"]):
        if "uses" in step:
            done["steps"].append((step["name"], "uses", _filled(step["with"], context)))
            continue
        output = tmp / f"output-{number}"
        output.touch()
        script = tmp / f"step-{number}.sh"
        script.write_text(_fill(step["run"], context))
        env = {
            **base,
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_ACTION_PATH": str(checkout),
            "RUNNER_TEMP": str(tmp / "runner"),
            **_filled(step.get("env", {}), context),
        }
        folder = workspace / _fill(step.get("working-directory", "."), context)
        ran = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        outputs = dict(
            line.split("=", 1) for line in output.read_text().splitlines() if "=" in line
        )
        if "id" in step:
            context["steps"][step["id"]] = {"outputs": outputs}
        done["steps"].append((step["name"], ran.returncode, ran.stdout + ran.stderr))
        if ran.returncode != 0:
            break
    return done


APP = """\
import os
from wsgiref.simple_server import make_server


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


make_server("127.0.0.1", int(os.environ["PORT"]), app).serve_forever()
"""
"""An app that binds PORT, but starts without the SECRET_KEY its proven.toml calls required."""

CONFIG = """\
start = "python3 server.py"
required = ["SECRET_KEY"]
checks = ["binds-port", "fails-fast"]
"""


@pytest.fixture(scope="module")
def kit_python(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A checkout of the action, and a fresh venv's Python for it to install the kit into.

    The checkout is a copy of what a checkout of the action holds; installing from
    it builds the package as `pip install <checkout>[servers]` does on a runner. The
    venv's dependencies are this venv's.
    """
    tmp = tmp_path_factory.mktemp("action")
    action = tmp / "action"
    action.mkdir()
    for name in ("pyproject.toml", "README.md", "action.yml"):
        shutil.copy(ROOT / name, action / name)
    ignored = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", action / "src", ignore=ignored)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # pip and the kit's dependencies come from this venv, so nothing is downloaded.
    Path(site, "kit-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return action, python


def test_action_steps_install_run_report_and_fail(tmp_path: Path, kit_python: tuple[Path, Path]):
    """Run on proven.toml's app, the steps install the kit, report, and fail on a failed check.

    The same steps with inputs instead of a file, on a check that passes, end green.
    """
    app = tmp_path / "app"
    app.mkdir()
    (app / "server.py").write_text(APP)
    (app / "proven.toml").write_text(CONFIG)
    checkout, python = kit_python
    inputs = {"python": str(python)}
    failed = run_action({**inputs, "redis": "true"}, checkout, app, tmp_path / "failing")
    names = [name for name, *_ in failed["steps"]]
    assert names == [step["name"] for step in load()["runs"]["steps"]]
    install, check, upload, verdict = failed["steps"]
    assert install[1] == 0, install[2]
    installed = subprocess.run(
        [python, "-c", "import proven; print(proven.__file__)"], capture_output=True, text=True
    )
    assert installed.stdout.startswith(str(python.parents[1])), installed
    assert check[1] == 0, check[2]
    assert verdict[1] == 1 and "a check failed" in verdict[2], verdict
    summary = failed["summary"].read_text()
    assert "### proven check" in summary and "| [Stops at start without required config]" in summary
    assert "servers (PROOF_SERVERS=" in summary and "Redis in REDIS_URL: " in summary
    paths = upload[2]["path"].split()
    assert len(paths) == 3 and all(Path(path).is_file() for path in paths), upload
    report = json.loads(Path(paths[0]).read_text())
    assert {r["check"]: r["status"] for r in report["results"]} == {
        "binds-port": "pass",
        "fails-fast": "fail",
    }

    (app / "proven.toml").unlink()
    passing = {**inputs, "start": "python3 server.py", "checks": "binds-port", "extras": ""}
    passed = run_action(passing, checkout, app, tmp_path / "passing")
    assert [code for _, code, _ in passed["steps"] if code != "uses"] == [0, 0, 0], passed
    assert passed["summary"].read_text().count("| pass |") == 1


PAGE = ROOT / "docs" / "prove-your-own-app.md"


def page_yaml(heading: str) -> dict[str, Any]:
    """The YAML block under `heading` on the page "Prove your own app", parsed."""
    text = PAGE.read_text()
    section = text[text.index(heading) :]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block, f"no YAML block under {heading!r}"
    return yaml.safe_load(block[1])


def test_page_workflow_is_valid_and_gives_the_action_its_inputs():
    """The page's workflow is valid GitHub syntax; its step with the action names only inputs."""
    workflow = page_yaml("### GitHub Actions")
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads the key `on` as True; GitHub does not
    schema = json.loads((SCHEMA.parent / "github-workflow.json").read_text())
    assert [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(workflow)] == []
    [job] = workflow["jobs"].values()
    [step] = [
        s for s in job["steps"] if s.get("uses", "").split("@")[0].endswith("/twelve-factor-proven")
    ]
    assert set(step["with"]) <= set(load()["inputs"]), step["with"]


def test_page_gitlab_job_reports_junit():
    """The page's GitLab job writes the JUnit report that its `artifacts:reports:junit` names."""
    [job] = page_yaml("### GitLab CI").values()
    junit = job["artifacts"]["reports"]["junit"]
    [command] = [line for line in job["script"] if "proven check" in line]
    assert f"--junit {junit}" in command and job["artifacts"]["when"] == "always"
