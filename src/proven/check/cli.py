"""`proven check`: the command line, which runs the checks against a team's app.

Exit status: 0 when no check failed, 1 when one did, 2 when the options (or
the app's set-up) do not let the checks run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from proven.check.checks import CHECKS, Result, Runner, SetupFailed, run_check
from proven.check.report import json_text, line, markdown, summary
from proven.check.target import Target, TargetError, add_options, target_from_options
from proven.services import PostgresServer, RedisServer

EPILOG = """\
example:
  python -m proven check --start 'gunicorn --bind 127.0.0.1:$PORT app:app' \\
      --redis --required REDIS_URL --write "POST /items" --body '{"name": "{token}"}' \\
      --read "GET /items" --markdown report.md --json report.json

checks: """ + ", ".join(CHECKS)


def parser() -> argparse.ArgumentParser:
    """The options of `proven check`.

    Example:
        ```python
        from proven.check.cli import parser

        options = parser().parse_args(["--start", "python app.py", "--json", "out.json"])
        assert str(options.json) == "out.json"
        ```
    """
    found = argparse.ArgumentParser(
        prog="proven check",
        description="Run the site's proofs against your own app: start it, restart it, copy it, "
        "kill it, stop it, and report what held.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_options(found)
    found.add_argument("--markdown", type=Path, help="write the Markdown report here")
    found.add_argument("--json", type=Path, help="write the JSON report here")
    return found


@contextmanager
def services(target: Target) -> Iterator[dict[str, str]]:
    """Start the services `target` asks for; yield the variables that give their URLs.

    Example:
        ```python
        from pathlib import Path

        from proven.check.cli import services
        from proven.check.target import Target

        with services(Target(start="x", cwd=Path("."), services={"redis": "CACHE_URL"})) as env:
            assert env["CACHE_URL"].startswith("redis://127.0.0.1:")
        ```
    """
    kinds = {"redis": RedisServer, "postgres": PostgresServer}
    with ExitStack() as stack:
        env = {}
        for service, variable in target.services.items():
            try:
                server = stack.enter_context(kinds[service]())
            except pytest.skip.Exception as missing:
                raise TargetError(f"cannot start {service}: {missing.msg}") from None
            env[variable] = server.url
        yield env


def run(target: Target) -> list[Result]:
    """Start the services, run the set-up, then each selected check; print a line per check.

    Example:
        ```python
        import sys
        import tempfile
        from pathlib import Path

        from proven.check.cli import run
        from proven.check.target import Target

        with tempfile.TemporaryDirectory() as code:
            start = f"{sys.executable} -m http.server --bind 127.0.0.1 $PORT"
            target = Target(start=start, cwd=Path(code), checks=("binds-port",))
            assert [r.status for r in run(target)] == ["pass"]
        ```
    """
    unknown = sorted(set(target.checks) - set(CHECKS))
    if unknown:
        raise TargetError(f"no check named {', '.join(unknown)}; the checks: {', '.join(CHECKS)}")
    if not target.cwd.is_dir():
        raise TargetError(f"{target.cwd} is not a folder: --cwd names the folder of the app's code")
    results = []
    with services(target) as env:
        with Runner(target, env) as runner:
            runner.setup()
        for check in target.checks or tuple(CHECKS):
            with Runner(target, env) as runner:
                results.append(run_check(check, runner))
            print(line(results[-1]), flush=True)
    return results


def main(args: list[str]) -> int:
    """Run `proven check` with these arguments; return the exit status.

    Example:
        ```python
        from proven.check.cli import main

        assert main(["--write", "POST /items"]) == 2  # no --start: nothing to run
        ```
    """
    options = parser().parse_args(args)
    try:
        target = target_from_options(options)
        results = run(target)
    except (TargetError, SetupFailed) as error:
        print(f"proven check: {error}", file=sys.stderr)
        return 2
    print(summary(results))
    if options.markdown is not None:
        options.markdown.write_text(markdown(results, target))
    if options.json is not None:
        options.json.write_text(json_text(results, target))
    return 0 if all(result.passed for result in results) else 1
