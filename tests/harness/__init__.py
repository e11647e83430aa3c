"""The proof harness: real processes and real backing services for the proofs.

Every proof on the site is a pytest test that uses these helpers to start an
example as a real OS process, attach it to a real Redis or PostgreSQL server,
and observe what it does when it is restarted, scaled out, signalled or killed.
"""

from harness.claims import Claim, claim, collect_claims
from harness.cluster import RoundRobin
from harness.processes import AppProcess, gunicorn_command, run_to_exit
from harness.services import PostgresServer, RedisServer, find_binary
from harness.traffic import Crash, Traffic, crash_under_traffic

__all__ = [
    "AppProcess",
    "Claim",
    "Crash",
    "PostgresServer",
    "RedisServer",
    "RoundRobin",
    "Traffic",
    "claim",
    "collect_claims",
    "crash_under_traffic",
    "find_binary",
    "gunicorn_command",
    "run_to_exit",
]
