"""The proof harness: real processes and real backing services for the proofs.

Every proof on the site is a pytest test that uses these helpers to start an
example as a real OS process, attach it to a real Redis or PostgreSQL server,
and observe what it does when it is restarted, scaled out, signalled or killed.
Installed, the package is also a pytest plugin (`proven.plugin`: the fixtures)
and a command, `python -m proven check`, that runs the same checks against
any app that speaks HTTP.

The names below are imported on first use, so that the site build, which reads
claims and observations only (standard library), needs none of the harness's
dependencies.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "AppProcess": "proven.processes",
    "Claim": "proven.claims",
    "Crash": "proven.traffic",
    "Lane": "proven.timeline",
    "PostgresServer": "proven.services",
    "RedisServer": "proven.services",
    "RoundRobin": "proven.cluster",
    "Timeline": "proven.timeline",
    "Traffic": "proven.traffic",
    "claim": "proven.claims",
    "collect_claims": "proven.claims",
    "crash_under_traffic": "proven.traffic",
    "find_binary": "proven.services",
    "gunicorn_command": "proven.processes",
    "run_to_exit": "proven.processes",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import `name` from its module the first time it is asked for."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'proven' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
