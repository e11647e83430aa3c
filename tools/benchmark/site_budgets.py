"""Site budgets: bytes and requests of a first visit to each page, and Lighthouse scores.

The site is built once and served by the same Netlify stand-in the browser
checks use (`proven.site.netlify`: netlify.toml's headers, gzip like
Netlify). Each page is loaded in a fresh browser context, so nothing is
cached, and the figures count every request until the network is idle.
Material's search worker and index are only fetched when the reader first
asks for search (`overrides/partials/search-on-demand.html`), so "search" in
a first load should be 0; what a first search then costs is reported apart
(focus on the search box of a cold page, wait until the network is idle).

The build's time: `mkdocs build --strict` of the whole site, wall clock and
CPU (user + system) of the process, median of 3; and the same for the pinned
Zensical (`zensical build --strict --clean` of a fresh copy of the project,
the copy included: `proven.site.build.build_zensical`), when a `zensical`
command is found (`ZENSICAL`, else `PATH`). On a machine shared with other
work the wall time follows the load; the CPU time does not.

Lighthouse 12 (`npx lighthouse@12`, which runs on Node 20; version 13 needs
Node 22) scores a few pages with the desktop preset against Debian's
Chromium. Sizes are in KiB (1024 bytes) of gzip-compressed bodies; "search"
is the part that is Material's search worker and index. Without npx or without the
package it reports why, and the other figures still print.

Run with every other section: `.venv/bin/python -m tools.benchmark`.
(This file is not named `site.py`: that would import Python's own `site` module.)
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from proven.paths import ROOT
from proven.site.build import INSTALL_ZENSICAL, PAGES, build_site, build_zensical, find_zensical
from proven.site.chromium import CHROMIUM_ARGS, INSTALL_CHROMIUM, system_chromium
from proven.site.netlify import NetlifyServer

CHROMIUM = system_chromium()
"""The system's Chromium, else None: Playwright launches its own and Lighthouse is skipped."""
BYTES_TARGET = 80 * 1024
BUILD_TARGET = 5.0  # seconds
BUILD_RUNS = 3
LIGHTHOUSE = "lighthouse@12"
LIGHTHOUSE_PAGES = ["/", "/stateless-processes/", "/processes/", "/benefits-and-trade-offs/"]
CATEGORIES = {
    "performance": "≥ 98",
    "accessibility": "100",
    "best-practices": "100",
    "seo": "100",
}


def is_search(path: str) -> bool:
    """Material's search index and worker, fetched in the background after the page loads."""
    return path.startswith(("/search/", "/assets/javascripts/workers/"))


def first_loads(server: NetlifyServer) -> list[tuple[str, int, int, int]]:
    """(page, gzip bytes, of which search, requests) of a cold first visit to every page."""
    from playwright.sync_api import sync_playwright

    loads = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for page_path in PAGES:
            context = browser.new_context(base_url=server.url)
            page = context.new_page()
            start = len(server.requests)
            page.goto(page_path)
            page.wait_for_load_state("networkidle")
            sent = server.requests[start:]
            total = sum(size for _, _, size in sent)
            search = sum(size for path, _, size in sent if is_search(path))
            loads.append((page_path, total, search, len(sent)))
            context.close()
        browser.close()
    return loads


def first_search(server: NetlifyServer, page_path: str = "/processes/") -> tuple[int, int]:
    """(gzip bytes, requests) a reader's first search fetches: focus the box of a cold page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=server.url)
        page = context.new_page()
        page.goto(page_path)
        page.wait_for_load_state("networkidle")
        start = len(server.requests)
        page.locator("input.md-search__input").focus()
        page.wait_for_timeout(500)
        page.wait_for_load_state("networkidle")
        sent = server.requests[start:]
        context.close()
        browser.close()
    return sum(size for _, _, size in sent), len(sent)


def build_times(runs: int = BUILD_RUNS) -> tuple[float, float, str]:
    """Median wall and CPU seconds of `mkdocs build --strict`, and how the last build ended."""
    walls, cpus, ended = [], [], ""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="build-") as tmp:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            build = subprocess.run(
                [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", tmp],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            walls.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            warnings = build.stderr.count("WARNING")
            ended = "ok" if build.returncode == 0 else f"failed, {warnings} warnings"
    return statistics.median(walls), statistics.median(cpus), ended


def zensical_build_times(zensical: str, runs: int = BUILD_RUNS) -> tuple[float, float, str]:
    """Median wall and CPU seconds of a Zensical build of a fresh copy, and how the last ended."""
    walls, cpus, ended = [], [], ""
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="zensical-") as tmp:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            try:
                build_zensical(Path(tmp) / "project", zensical)
                ended = "ok"
            except RuntimeError as error:
                ended = f"failed: {str(error).strip().splitlines()[-1]}"
            walls.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus), ended


def lighthouse(server: NetlifyServer, page_path: str) -> dict[str, int] | str:
    """Lighthouse category scores (0-100) for one page, or why it could not run twice running.

    On a busy machine Lighthouse sometimes loses its trace ("NO_NAVSTART ...
    Please run Lighthouse again"): it gets one more try.
    """
    scores = lighthouse_once(server, page_path)
    return lighthouse_once(server, page_path) if isinstance(scores, str) else scores


def lighthouse_once(server: NetlifyServer, page_path: str) -> dict[str, int] | str:
    """Lighthouse category scores (0-100) for one page, or why it could not run."""
    npx = shutil.which("npx")
    if npx is None:
        return "npx not found (install Node.js 20)"
    if CHROMIUM is None:
        return f"no system Chromium for Lighthouse: {INSTALL_CHROMIUM}"
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as tmp:
        report = Path(tmp) / "report.json"
        flags = " ".join([*CHROMIUM_ARGS, f"--user-data-dir={tmp}/profile"])
        run = subprocess.run(
            [
                npx,
                "--yes",
                LIGHTHOUSE,
                server.url + page_path,
                "--preset=desktop",
                "--output=json",
                f"--output-path={report}",
                "--quiet",
                f"--chrome-flags={flags}",
            ],
            env={**os.environ, "CHROME_PATH": CHROMIUM},
            capture_output=True,
            text=True,
            timeout=300,
        )
        if run.returncode != 0 or not report.is_file():
            lines = (run.stderr or run.stdout).strip().splitlines()
            return f"lighthouse failed: {lines[-1] if lines else run.returncode}"
        result = json.loads(report.read_text())
    return {
        name: round(result["categories"][name]["score"] * 100)
        for name in CATEGORIES
        if result["categories"].get(name, {}).get("score") is not None
    }


def measure() -> list[tuple[str, str, str]]:
    """Rows of (what, figure, target) for the site."""
    rows: list[tuple[str, str, str]] = []
    wall, cpu, ended = build_times()
    load = os.getloadavg()[0]
    rows.append(
        (
            f"mkdocs build --strict, whole site (median of {BUILD_RUNS})",
            f"{wall:.1f} s wall, {cpu:.1f} s CPU (load average {load:.1f}; build {ended})",
            f"< {BUILD_TARGET:.0f} s",
        )
    )
    zensical = find_zensical()
    if zensical is None:
        rows.append(("zensical build --strict, whole site", f"not run: {INSTALL_ZENSICAL}", ""))
    else:
        wall, cpu, ended = zensical_build_times(zensical)
        rows.append(
            (
                f"zensical build --strict, whole site, a fresh copy (median of {BUILD_RUNS})",
                f"{wall:.1f} s wall, {cpu:.1f} s CPU (load average {os.getloadavg()[0]:.1f}; "
                f"build {ended})",
                f"< {BUILD_TARGET:.0f} s",
            )
        )
    with tempfile.TemporaryDirectory(prefix="site-") as tmp:
        site = build_site(Path(tmp) / "site")
        with NetlifyServer(site) as server:
            loads = first_loads(server)
            for page_path, size, search, count in loads:
                rows.append(
                    (
                        f"first load of {page_path}",
                        f"{size / 1024:.1f} KB in {count} requests"
                        f" (search: {search / 1024:.1f} KB)",
                        f"≤ {BYTES_TARGET // 1024} KB",
                    )
                )
            sizes = [size for _, size, _, _ in loads]
            over = [p for p, size, _, _ in loads if size > BYTES_TARGET]
            rows.append(
                (
                    "first load, median / largest page",
                    f"{statistics.median(sizes) / 1024:.1f} KB / {max(sizes) / 1024:.1f} KB"
                    + (f" (over: {', '.join(over)})" if over else ""),
                    f"≤ {BYTES_TARGET // 1024} KB",
                )
            )
            size, count = first_search(server)
            rows.append(
                (
                    "first search (focus the box), worker and index",
                    f"{size / 1024:.1f} KB in {count} requests",
                    "on demand",
                )
            )
            for page_path in LIGHTHOUSE_PAGES:
                print(f"  lighthouse {page_path}", file=sys.stderr)
                scores = lighthouse(server, page_path)
                if isinstance(scores, str):
                    rows.append((f"Lighthouse {page_path}", scores, "runs"))
                    break
                for name, target in CATEGORIES.items():
                    rows.append(
                        (f"Lighthouse {name}, {page_path}", str(scores.get(name, "n/a")), target)
                    )
        if zensical is not None:
            rows.append(zensical_first_loads(Path(tmp) / "zensical", zensical))
    return rows


def zensical_first_loads(folder: Path, zensical: str) -> tuple[str, str, str]:
    """The first-load row of the Zensical build: what a page weighs without the MkDocs hooks.

    Served like the deploy (netlify.toml's headers, whose script hashes are
    Material's: some of Zensical's inline scripts are refused, as they would be).
    """
    site = build_zensical(folder, zensical)
    with NetlifyServer(site) as server:
        loads = first_loads(server)
    sizes = [size for _, size, _, _ in loads]
    largest = max(loads, key=lambda load: load[1])
    return (
        "first load under Zensical (no hooks), median / largest page",
        f"{statistics.median(sizes) / 1024:.1f} KB / {largest[1] / 1024:.1f} KB ({largest[0]})",
        "not deployed",
    )
