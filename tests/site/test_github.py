"""The GitHub files are valid: the workflow, the issue forms and the pull-request template.

Each is checked against the JSON schema GitHub's format is published as (vendored in
`tests/site/schemas/`, see its README), and the workflow against what `.ci/run` does.
"""

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / ".github"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ISSUE_FORMS = sorted(p for p in (GITHUB / "ISSUE_TEMPLATE").glob("*.yml") if p.stem != "config")


def load_yaml(path: Path) -> dict:
    """A GitHub YAML file; YAML 1.1 reads the key `on` as `True`, GitHub reads it as "on"."""
    data = yaml.safe_load(path.read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


def schema_errors(path: Path, schema: str) -> list[str]:
    """One line per schema error, at the deepest place the schema can point to."""
    validator = jsonschema.Draft7Validator(json.loads((SCHEMAS / schema).read_text()))
    lines = []
    for error in validator.iter_errors(load_yaml(path)):
        if error.context:
            error = jsonschema.exceptions.best_match(error.context)
        where = "/".join(map(str, error.absolute_path)) or "the top level"
        lines.append(f"{path.relative_to(ROOT)}: at {where}: {error.message[:200]}")
    return lines


def test_there_is_a_pull_request_workflow():
    """A workflow runs on pull requests."""
    triggers = [load_yaml(path)["on"] for path in WORKFLOWS]
    assert any("pull_request" in on for on in triggers), "no workflow runs on pull_request"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_the_schema(workflow: Path):
    """The workflow is valid GitHub Actions syntax."""
    errors = schema_errors(workflow, "github-workflow.json")
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_steps_use_pinned_actions_and_existing_paths(workflow: Path):
    """Every action has a version, and every file a `run` step names exists."""
    steps = [step for job in load_yaml(workflow)["jobs"].values() for step in job["steps"]]
    unpinned = [s["uses"] for s in steps if "uses" in s and "@" not in s["uses"]]
    assert not unpinned, f"{workflow.name}: pin these actions to a version (name@v4): {unpinned}"
    runs = " ".join(step.get("run", "") for step in steps)
    named = set(re.findall(r"(?<![\w/.-])((?:tests|\.ci)/[\w./-]+)", runs))
    missing = sorted(path for path in named if not (ROOT / path).exists())
    assert not missing, f"{workflow.name} runs files that do not exist: {missing}"


def test_ci_workflow_runs_ci_run():
    """Pull requests run `.ci/run` itself, so CI on GitHub and CI here are one script."""
    jobs = load_yaml(GITHUB / "workflows" / "ci.yml")["jobs"].values()
    runs = [step.get("run", "") for job in jobs for step in job["steps"]]
    assert any(re.search(r"(^|\s)(bash )?\.ci/run\b", run) for run in runs), runs


@pytest.mark.parametrize("form", ISSUE_FORMS, ids=lambda p: p.name)
def test_issue_form_matches_the_schema(form: Path):
    """Each issue template is a valid GitHub issue form."""
    errors = schema_errors(form, "github-issue-forms.json")
    assert not errors, "\n".join(errors)


def test_issue_forms_are_the_two_we_document():
    """CONTRIBUTING names these two forms."""
    names = {load_yaml(form)["name"] for form in ISSUE_FORMS}
    assert {"Propose an example", "Report an inaccurate claim"} <= names


def test_issue_form_pages_exist():
    """The page choices of "Propose an example" are pages of the site."""
    form = load_yaml(GITHUB / "ISSUE_TEMPLATE" / "propose-an-example.yml")
    pages = next(item for item in form["body"] if item.get("id") == "page")
    options = pages["attributes"]["options"]
    missing = [page for page in options if not (ROOT / "docs" / f"{page}.md").exists()]
    assert not missing, f"propose-an-example.yml offers pages that do not exist: {missing}"


def test_issue_template_config_matches_the_schema():
    """`ISSUE_TEMPLATE/config.yml` is valid."""
    path = GITHUB / "ISSUE_TEMPLATE" / "config.yml"
    errors = schema_errors(path, "github-issue-config.json")
    assert not errors, "\n".join(errors)


def test_pull_request_template_names_the_checks():
    """The pull-request checklist names the commands CI runs, for a contributor to run first.

    `tools.check` runs the swap check and lint; test_contributor_check.py holds the
    checklist to its steps.
    """
    template = (GITHUB / "pull_request_template.md").read_text()
    for command in ("-m tools.scaffold", "-m tools.check", "pytest tests/"):
        assert command in template, f"pull_request_template.md does not mention {command}"
