"""`proven` (or `python -m proven`): the command line of the package.

`proven check` is its one command; `proven` alone or `proven --help` says so
and how to start.
"""

from __future__ import annotations

import sys

HELP = """\
usage: proven <command> [options]    (or: python -m proven <command> [options])

Twelve-Factor, Proven: run your app as real processes and report which
twelve-factor behaviours held.

commands:
  check      start your app (a command that serves HTTP on $PORT), restart it, run a
             second copy, kill it, stop it; report pass, fail or n/a for nine checks

start here:
  proven check --help
  proven check --start 'gunicorn --bind 127.0.0.1:$PORT app:app' \\
      --write "POST /items" --body '{"name": "{token}"}' --read "GET /items"
  proven check --config proven.toml      (the same facts in a file)

exit status of check: 0 no check failed, 1 a check failed, 2 the options do not
describe an app it can run

what each check does: https://twelve-factor-proven.netlify.app/prove-your-own-app/
"""


def main(argv: list[str] | None = None) -> int:
    """Run the command named by the first argument; help for none, `-h` or `--help`.

    Example:
        ```python
        from proven.__main__ import main

        assert main(["--help"]) == 0  # prints the commands and how to start
        assert main([]) == 2  # no command: the same help, and the status of a usage error
        ```
    """
    args = sys.argv[1:] if argv is None else argv
    if args[:1] in (["-h"], ["--help"], ["help"]):
        print(HELP, end="")
        return 0
    if args[:1] == ["--version"]:
        from proven.check.report import kit_version

        print(f"proven {kit_version()}")
        return 0
    if args[:1] != ["check"]:
        unknown = f"proven: no command {args[0]!r}\n\n" if args else ""
        print(unknown + HELP, end="", file=sys.stderr)
        return 2
    try:
        from proven.check.cli import main as check
    except KeyboardInterrupt:  # Ctrl-C while the kit loads: nothing has started yet
        return 130
    return check(args[1:])


if __name__ == "__main__":
    sys.exit(main())
