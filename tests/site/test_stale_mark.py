"""`mkdocs serve` marks a claim box whose observation is stale; a build never does.

The site tests fail on a stale observation (tests/site/test_observations.py), so the
deployed site has none. While a contributor edits a proof or an example, the dev
server shows which boxes now say what an older run observed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest
import requests

from proven.observations import fingerprint
from proven.paths import ROOT, TESTS_DIR, copy_shipped
from proven.site import claims_extension
from proven.site.claims_extension import DEV_SERVER_MODULE, mark_stale, read_site, render_claim

MARK = "Stale observation (shown by <code>mkdocs serve</code> only)"
"""The warning's title, as the page shows it."""

CLAIM = "shared-secret"


def box_of(claim_id: str, stale: bool) -> str:
    """The claim box as `_box` renders it, its observation current or made stale."""
    site = read_site(TESTS_DIR, ROOT / "mkdocs.yml")
    found = site.claims[claim_id]
    seen = dataclasses.replace(
        site.observed[claim_id], fingerprint="0" * 64 if stale else fingerprint(found)
    )
    return mark_stale(render_claim(found, seen), found, seen)


@pytest.fixture
def dev_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """As under `mkdocs serve`: its live-reload module is loaded."""
    monkeypatch.setitem(sys.modules, DEV_SERVER_MODULE, types.ModuleType(DEV_SERVER_MODULE))


def test_the_dev_server_marks_a_stale_observation(dev_server: None):
    """Under the dev server a stale box carries the warning and the command that refreshes it."""
    box = box_of(CLAIM, stale=True)
    assert '!!! warning "Stale observation' in box
    assert "tests/processes/test_shared_secret.py::" in box and "--update-observations" in box
    assert box.index("!!! warning") < box.index('<span class="claim-label">')


def test_the_dev_server_leaves_a_current_observation_alone(dev_server: None):
    """Under the dev server a box whose observation is current has no warning."""
    assert "!!! warning" not in box_of(CLAIM, stale=False)


def test_a_build_never_marks(monkeypatch: pytest.MonkeyPatch):
    """Outside the dev server (a build, MkDocs's or Zensical's) no box is marked."""
    monkeypatch.delitem(sys.modules, DEV_SERVER_MODULE, raising=False)
    assert not claims_extension.serving()
    assert "!!! warning" not in box_of(CLAIM, stale=True)


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def page_served(url: str, server: subprocess.Popen, log: Path, deadline: float) -> str:
    """The page's HTML once the dev server answers it."""
    while time.monotonic() < deadline:
        assert server.poll() is None, f"mkdocs serve exited:\n{log.read_text()}"
        try:
            answer = requests.get(url, timeout=5)
            if answer.status_code == 200:
                return answer.text
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    pytest.fail(f"mkdocs serve did not answer {url} in time:\n{log.read_text()}")


def test_mkdocs_serve_shows_the_mark_and_mkdocs_build_does_not(tmp_path: Path):
    """In a copy of the project with one stale observation, `mkdocs serve` shows the warning
    in that claim's box and `mkdocs build --strict` builds a page without it."""
    copy = copy_shipped(ROOT, tmp_path / "project")
    stored = copy / "tests" / "processes" / "observations.json"
    records = json.loads(stored.read_text())
    records[CLAIM]["fingerprint"] = "0" * 64
    stored.write_text(json.dumps(records, indent=2))
    mkdocs = str(Path(sys.executable).parent / "mkdocs")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env.pop("PROVEN_ROOT", None)
    port = free_port()
    serve_log, build_log = tmp_path / "serve.log", tmp_path / "build.log"
    with serve_log.open("w") as serve_out, build_log.open("w") as build_out:
        server = subprocess.Popen(
            [mkdocs, "serve", "--dev-addr", f"127.0.0.1:{port}"],
            cwd=copy,
            env=env,
            stdout=serve_out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        build = subprocess.Popen(
            [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
            cwd=copy,
            env=env,
            stdout=build_out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            served = page_served(
                f"http://127.0.0.1:{port}/processes/", server, serve_log, time.monotonic() + 120
            )
            assert build.wait(timeout=120) == 0, build_log.read_text()
        finally:
            for process in (server, build):
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(timeout=10)
    box = served.split(f'id="{CLAIM}"', 1)[1].split('class="claim-label"', 1)[0]
    assert MARK in box, "mkdocs serve showed the stale box without its warning"
    built = (tmp_path / "site" / "processes" / "index.html").read_text()
    assert f'id="{CLAIM}"' in built and "Stale observation" not in built
