"""Scaffold a new scenario: an example pair, a proof that fails until written, a page section.

Run it from the project root:

    .venv/bin/python -m tools.scaffold <page-slug> <scenario> [--claim <claim-id>]

It creates `examples/<slug>/<scenario>/{bad,good}/app.py`, the pair's facts
in `examples/<slug>/<scenario>/scenario.toml` (the good twin's routes and the
environment the twins need, read by the hostile-input tests, the soak and the
proofs' set-up, so no test needs editing), the proof
`tests/<slug>/test_<scenario>.py` with its claim declared, and the section of
`docs/<slug>.md` that shows the pair in Bad/Good tabs with a `!proof` line.
Every piece of text you must write is marked `TODO(scaffold)`: the structure
test (`pytest tests/site/test_structure.py`) lists the ones left, and the
generated proof fails until it asserts something real.
"""

from __future__ import annotations

import argparse
import sys

from proven.claims import CLAIM_ID, collect_claims
from proven.layout import PLACEHOLDER, Pair
from proven.paths import DOCS_DIR, ROOT
from proven.scenarios import FILE_NAME
from tools.check import contributor_steps

TODO = PLACEHOLDER

BAD_APP = f'''"""{TODO}: the bad twin in one line: what it does, and the violation it makes."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
def index():
    """{TODO}: replace with the behaviour the page is about; keep it identical to the good
    twin except for the violation, so that a diff of the two shows the lesson only."""
    return jsonify(status="ok")
'''

GOOD_APP = f'''"""{TODO}: the good twin in one line: what it does, and how it follows the rule.

Twelve-factor in every way: config only from environment variables (a missing or
malformed one stops the app at import with `stop("<VAR> must be ... (got ...)")`, exit
status 3: copy `stop` from any good twin, see CONTRIBUTING.md#example-pair),
a 4xx with a short JSON message on bad input, a 503 when a backing service is down,
logs to stdout, served by gunicorn.
"""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
def index():
    """{TODO}: replace with the bad twin's behaviour, done the twelve-factor way."""
    return jsonify(status="ok")
'''

SCENARIO = f"""# Facts about this pair, written once (proven.scenarios): read by the hostile-input
# tests, the soak, the proofs and `proven check`. See CONTRIBUTING.md#scenario-toml.
# {TODO}: the good twin's routes, "METHOD /path/<param>"; each one is attacked.
endpoints = ["GET /"]
# {TODO}: the settings the good twin stops at start without, in the order it checks
# them, required = ["NAME", ...], or "none: why" when it reads none.
required = "none: {TODO}"
# When the app needs a one-off admin command before it starts (`flask --app app.py
# <command>`, such as a migration), name it here: setup = "<command>".

[env]
# {TODO}: the environment both twins need, NAME = "value"; "{{redis_url}}" or
# "{{database_url}}" for a backing service, and then a [soak] table below.

[check]
# {TODO}: what `proven check` runs on the twins: checks = ["..."] and the ones the bad
# twin fails, bad_fails = ["..."], or lesson = "none: why no check can see the lesson".
checks = []
lesson = "none: {TODO}"
"""

PROOF = '''"""{todo}: what the proofs in this file compare, in one line."""

import pytest
import requests

from proven import claim

EXAMPLE = "{name}"


@claim(
    "{claim_id}",
    "{todo}: the one sentence this proof proves: what the bad twin loses, the good keeps.",
)
def test_{function}(start_app, observe):
    """{todo}: what the proof does, in one sentence; the page shows it above the code."""
    bad = start_app(f"{{EXAMPLE}}/bad")
    good = start_app(f"{{EXAMPLE}}/good")

    # Do to both twins what the claim is about, as a platform would: restart(),
    # crash_and_restart(), send_signal(signal.SIGTERM), or two copies with start_copies(...).
    answers = [requests.get(f"{{app.url}}/", timeout=5).status_code for app in (bad, good)]

    # Record what you measured, for the claim box, before asserting on it.
    observe(bad=f"answered {{answers[0]}}", good=f"answered {{answers[1]}}")

    # Then assert both directions: the bad twin shows the failure, the good twin does not.
    # Swapping the twins must make this proof fail: check it with python -m tools.swap_check.
    pytest.fail("{todo}: assert what the bad twin loses and the good twin keeps")
'''

SECTION = """## {todo}: a heading for this scenario {{#{scenario}-twins}}

{todo}: a short paragraph: the situation, and the one thing that differs between the twins.

=== "Bad"

    ```python title="examples/{name}/bad/app.py"
    --8<-- "examples/{name}/bad/app.py"
    ```

=== "Good"

    ```python title="examples/{name}/good/app.py"
    --8<-- "examples/{name}/good/app.py"
    ```

!proof {claim_id}

"""

SECTIONS_AFTER_CLAIMS = (
    "## Run it yourself",
    "## Trade-offs",
    "## On platforms",
    "## How it fits",
    "## Further reading",
)
"""The section goes before the first of these headings (they follow the claims on a page)."""


def fail(message: str) -> None:
    """Stop with a one-line message and exit code 2, creating nothing."""
    sys.exit(f"scaffold: {message}")


def insert_section(page: str, section: str) -> tuple[str, str]:
    """The page with the section inserted, and where it went, in words."""
    lines = page.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith(SECTIONS_AFTER_CLAIMS):
            heading = line.split("{")[0].strip()
            return "".join(lines[:index]) + section + "".join(lines[index:]), f'before "{heading}"'
    return page.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n", "at the end"


def scaffold(slug: str, scenario: str, claim_id: str) -> list[str]:
    """Create the pair, the proof and the page section; return what was done, line by line."""
    for what, value in (("page slug", slug), ("scenario", scenario), ("claim id", claim_id)):
        if not CLAIM_ID.match(value):
            fail(f"the {what} {value!r} must be a lowercase slug, like 'hit-counter'")
    page = DOCS_DIR / f"{slug}.md"
    if not page.is_file():
        pages = ", ".join(sorted(p.stem for p in DOCS_DIR.glob("*.md")))
        fail(f"there is no page docs/{slug}.md; the page slugs are: {pages}")
    pair = Pair(slug, scenario)
    proof = ROOT / "tests" / slug / f"test_{scenario.replace('-', '_')}.py"
    for path in (pair.folder, proof):
        if path.exists():
            fail(f"{path.relative_to(ROOT)} already exists; pick another scenario name")
    taken = {found.id: found for found in collect_claims()}
    if claim_id in taken:
        fail(
            f"claim id '{claim_id}' is taken by {taken[claim_id].node_id}; "
            f"pass another with --claim {slug}-{scenario}"
        )
    text = page.read_text()
    if f"#{scenario}}}" in text.replace(" ", ""):
        fail(f"docs/{slug}.md already has a heading with the id #{scenario}; pick another name")

    done = []
    for twin, source in (("bad", BAD_APP), ("good", GOOD_APP)):
        pair.app(twin).parent.mkdir(parents=True)
        pair.app(twin).write_text(source)
        done.append(f"created {pair.app(twin).relative_to(ROOT)}")
    facts = pair.folder / FILE_NAME
    facts.write_text(SCENARIO)
    done.append(f"created {facts.relative_to(ROOT)}")
    proof.parent.mkdir(exist_ok=True)
    proof.write_text(
        PROOF.format(
            name=pair.name,
            claim_id=claim_id,
            function=scenario.replace("-", "_"),
            todo=TODO,
        )
    )
    done.append(f"created {proof.relative_to(ROOT)}, declaring claim '{claim_id}'")
    section = SECTION.format(todo=TODO, scenario=scenario, name=pair.name, claim_id=claim_id)
    updated, where = insert_section(text, section)
    page.write_text(updated)
    done.append(f"added a section to docs/{slug}.md, {where}")
    return done


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, scaffold, and print the next steps."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.scaffold",
        description="Scaffold a new scenario: an example pair, its proof and its page section.",
    )
    parser.add_argument("slug", help="the page, as in docs/<slug>.md (e.g. config)")
    parser.add_argument("scenario", help="a lowercase slug for the pair (e.g. database-url)")
    parser.add_argument("--claim", help="the claim id (default: the scenario)")
    args = parser.parse_args(argv)
    claim_id = args.claim or args.scenario
    for line in scaffold(args.slug, args.scenario, claim_id):
        print(line)
    print(next_steps(args.slug, args.scenario))


def next_steps(slug: str, scenario: str) -> str:
    """The "Next" list printed after scaffolding: `tools.check.CONTRIBUTOR_STEPS` for the pair."""
    steps = contributor_steps(slug, scenario)
    lines = [
        "",
        "Next (see CONTRIBUTING.md): write the twins, their scenario.toml, the proof",
        f"and the page section, replacing every {TODO} line; run the proof until it passes:",
        f"  .venv/bin/pytest tests/{slug}/test_{scenario.replace('-', '_')}.py",
        "then:",
    ]
    for command, what in steps:
        lines += [f"  # {what}", f"  {command}"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
