"""Benchmark: measure the site and the proofs, and print one table of figures and targets.

Run it from the project root with `.venv/bin/python -m tools.benchmark`. Every
module in this folder that defines `measure()` is a section; `measure()`
returns rows of (what, figure, target). Name sections to run only those
(`python -m tools.benchmark kit site_budgets`). Figures are medians of several
runs where that makes sense; nothing here is a test and nothing fails on a slow
machine.
"""

import importlib
import sys
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent


def sections() -> dict[str, ModuleType]:
    """Every module of this folder that defines `measure()`, by name."""
    modules = (importlib.import_module(f"tools.benchmark.{p.stem}") for p in HERE.glob("*.py"))
    found = {m.__name__.rsplit(".", 1)[1]: m for m in modules if hasattr(m, "measure")}
    return dict(sorted(found.items()))


def main(names: list[str]) -> None:
    """Run the sections named (every section if none) and print their rows as a Markdown table."""
    every = sections()
    unknown = [name for name in names if name not in every]
    if unknown or "-h" in names or "--help" in names:
        print(__doc__.strip(), f"\nSections: {', '.join(every)}", sep="\n", file=sys.stderr)
        raise SystemExit(2 if unknown else 0)
    rows: list[tuple[str, str, str]] = []
    for name in names or every:
        print(f"measuring: {name}", file=sys.stderr)
        rows.extend(every[name].measure())
    width = max((len(what) for what, _, _ in rows), default=4)
    print(f"| {'What':<{width}} | Figure | Target |")
    print(f"| {'-' * width} | --- | --- |")
    for what, figure, target in rows:
        print(f"| {what:<{width}} | {figure} | {target} |")


if __name__ == "__main__":
    main(sys.argv[1:])
