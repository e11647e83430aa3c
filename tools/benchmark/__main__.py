"""Benchmark: measure the site and the proofs, and print one table of figures and targets.

Run it from the project root with `.venv/bin/python -m tools.benchmark`. Every
module in this folder that defines `measure()` is a section; `measure()`
returns rows of (what, figure, target). Figures are medians of several runs
where that makes sense; nothing here is a test and nothing fails on a slow
machine.
"""

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Run every section and print its rows as a Markdown table."""
    rows: list[tuple[str, str, str]] = []
    for module in sorted(p.stem for p in HERE.glob("*.py") if p.stem != "__main__"):
        section = importlib.import_module(f"tools.benchmark.{module}")
        print(f"measuring: {module}", file=sys.stderr)
        rows.extend(section.measure())
    width = max((len(what) for what, _, _ in rows), default=4)
    print(f"| {'What':<{width}} | Figure | Target |")
    print(f"| {'-' * width} | --- | --- |")
    for what, figure, target in rows:
        print(f"| {what:<{width}} | {figure} | {target} |")


if __name__ == "__main__":
    main()
