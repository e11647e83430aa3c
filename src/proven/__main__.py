"""`python -m proven`: the command line of the package (see `proven check --help`)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run the command named by the first argument."""
    from proven.check.cli import main as check

    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["check"]:
        print("usage: python -m proven check --help", file=sys.stderr)
        return 2
    return check(args[1:])


if __name__ == "__main__":
    sys.exit(main())
