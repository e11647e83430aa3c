"""Benchmark of the site and the proofs: `.venv/bin/python -m tools.benchmark`."""
