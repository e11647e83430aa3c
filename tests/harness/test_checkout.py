"""A proof proves the checkout it runs in, and depends only on what a deploy of it ships.

One virtualenv may serve several checkouts (a worktree, a second clone): pytest
run in a second clone must run that clone's examples. And a reader who ran an
example by hand leaves `__pycache__/` in its folder: no proof may read it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from proven.processes import start_group, stop_group
from proven.waiting import wait_for

RESTART_PROOF = (
    "tests/stateless-processes/test_hit_counter.py::test_restart_loses_memory_but_not_redis"
)
SECRET_PROOF = "tests/config/test_credentials.py::test_password_in_the_files_opens_production"
GOOD_COUNTER = Path("examples/stateless-processes/hit-counter/good/app.py")


def start(argv: list[str], checkout: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start a pytest run in `checkout`; its output is read when it ends."""
    return subprocess.Popen(
        argv, cwd=checkout, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(run: subprocess.Popen[str]) -> tuple[int, str]:
    """Wait for a pytest run: its exit code and output."""
    output, _ = run.communicate(timeout=120)
    return run.returncode, output


def test_a_proof_runs_the_examples_of_the_checkout_it_runs_in(clone, run_env, run_argv):
    """Clone this checkout twice; in the second, make the good hit counter count in memory.

    The restart proof, run in each clone with this run's Python, passes in the
    first and fails in the second: each run proved its own clone's example.
    """
    unchanged, changed = clone("unchanged"), clone("changed")
    counter = changed / GOOD_COUNTER
    source = counter.read_text()
    # The changed twin answers every read with 0: its count is lost on every restart.
    counter.write_text(source.replace('int(store.get("hits") or 0)', "0"))
    assert counter.read_text() != source

    argv = run_argv("-n", "0", RESTART_PROOF)
    runs = [start(argv, checkout, run_env) for checkout in (unchanged, changed)]
    (passed, passing), (failed, failing) = map(finish, runs)

    assert passed == 0, passing
    assert f"checkout under test (this run's): {unchanged}" in passing
    assert failed == 1, failing
    assert "assert good_after == 5" in failing and "assert 0 == 5" in failing


def test_a_run_started_outside_its_checkout_stops(clone, run_env, run_argv):
    """From this checkout's folder, ask pytest to run a proof of a second clone: it refuses.

    Its rootdir would be the clone while the harness, taking the checkout from
    the working directory, would run this checkout's examples.
    """
    other = clone("other")
    here = Path.cwd()
    run = start(run_argv("-n", "0", "--co", str(other / RESTART_PROOF)), here, run_env)
    code, output = finish(run)

    assert code == pytest.ExitCode.USAGE_ERROR, output
    assert f"this run's rootdir is the checkout {other}" in output
    assert f"run pytest from inside {other}" in output


@pytest.mark.lock("port-6491")  # the proof's bad twin reaches Redis on this fixed port
def test_secret_in_source_passes_after_the_twins_were_run_by_hand(clone, run_env, run_argv):
    """In a clone, run both credentials twins by hand as the Config page does, so that Python
    leaves `__pycache__/` (holding `redis://` in bytecode) in their folders; then run the
    `secret-in-source` proof there: it searches only the files git tracks, and passes."""
    checkout = clone("by-hand")
    by_hand = {k: v for k, v in run_env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    caches = []
    for twin in ("bad", "good"):
        folder = checkout / "examples/config/credentials" / twin
        argv = [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "--no-control-socket"]
        argv += ["--pythonpath", str(folder), "app:app"]
        env = {**by_hand, "REDIS_URL": "redis://:one@127.0.0.1:6401/0"}
        server = start_group(argv, cwd=checkout, env=env)
        try:
            caches += wait_for(lambda f=folder: list(f.glob("__pycache__/app.*.pyc")), timeout=30)
        finally:
            stop_group(server, signal.SIGINT)
    assert len(caches) == 2 and all(b"redis://" in cache.read_bytes() for cache in caches)

    code, output = finish(start(run_argv("-n", "0", SECRET_PROOF), checkout, run_env))

    assert code == 0, output
    assert all(cache.exists() for cache in caches)  # the proof ran beside them
