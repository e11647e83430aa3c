"""Command-line tools for contributors: scaffold, swap check, benchmark, Netlify stand-in.

Each runs from the project root the same way: `.venv/bin/python -m tools.<name> --help`.
"""
