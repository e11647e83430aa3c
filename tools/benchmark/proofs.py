"""Benchmark section: the proofs' running time, start-up of a good example, and its throughput.

- Machine speed: the CPU time of the imports every proof's app does at start,
  the unit of most of the suite's work; figures of two runs compare only with it.
- CI and the suite: one run of `.ci/run` as CI runs it (`CI=true`: the short
  soak budget), timed from the outside, with the time of each of its parts as
  it prints them (the README's test command, that is the whole suite on every
  core; the swap check; lint), the suite's summary line, and the ten slowest
  tests (set-up, call or tear-down) from pytest's `--durations=10`. It also
  reads how many CPU-seconds the machine's cores were busy during the whole
  run and during the test command (`/proc/stat`, every process on the machine,
  so run it on an otherwise idle machine): wall time can fall no lower than
  that work divided by the cores, however the tests are scheduled.
- Start-up: the good hit counter from exec to its first `200` on `GET /hits`,
  median of 7 starts.
- Throughput: `POST /hits` on the good hit counter with 1 and with 2 gunicorn
  processes (one sync worker each) against one Redis, driven by `wrk` on
  loopback (installed from Debian when missing; a threaded Python client
  otherwise), 5 rounds of 3 s each; medians and their ratio.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from proven import AppProcess, RedisServer
from proven.paths import ROOT
from proven.services import free_port

COUNTER = "stateless-processes/hit-counter/good"
Row = tuple[str, str, str]


CI_PART = re.compile(r"^ci: (?P<part>.+) took (?P<seconds>\d+) s$", re.M)
SUMMARY = re.compile(r"^=* ?(?P<line>\d+ (?:passed|failed).* in [\d.]+s.*?) ?=*$", re.M)
DURATION = re.compile(r"^(?P<seconds>[\d.]+)s (?P<when>setup|call|teardown) +(?P<test>\S.*)$", re.M)


CORES = os.cpu_count() or 1
"""The machine's cores: `/proc/stat` counts the busy time of every one of them."""


def busy_cpu_seconds() -> float:
    """CPU-seconds this machine's cores have been busy since boot (`/proc/stat`).

    Busy is every state but idle and waiting on I/O; guest time is already
    counted in user time, so it is left out.
    """
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = ticks
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cpu_figure(busy: float, wall: float) -> str:
    """CPU-seconds, and the wall time they take at the least on this machine's cores."""
    share = busy / wall / CORES
    return f"{busy:.0f} CPU-s: {busy / CORES:.0f} s on {CORES} cores at 100 %, {share:.0%} busy"


def ci_run() -> list[Row]:
    """Run `.ci/run` once: its wall time and CPU work, each part's time, the slowest tests."""
    started, busy_at_start = time.monotonic(), busy_cpu_seconds()
    test_command: tuple[float, float] | None = None  # (busy, wall) when it ended
    lines: list[str] = []
    with subprocess.Popen(
        ["bash", ".ci/run"],
        cwd=ROOT,
        env={**os.environ, "CI": "true", "PYTEST_ADDOPTS": "--durations=10"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as run:
        assert run.stdout is not None
        for line in run.stdout:
            lines.append(line)
            if line.startswith("ci: the test command took"):
                test_command = (busy_cpu_seconds() - busy_at_start, time.monotonic() - started)
    wall, busy = time.monotonic() - started, busy_cpu_seconds() - busy_at_start
    output = "".join(lines)
    status = "ok" if run.returncode == 0 else f"FAILED (exit {run.returncode})"
    rows = [
        (f"`.ci/run`, as CI runs it (1 run; {status})", f"{wall:.0f} s", "< 8 min"),
        ("… CPU work of the whole run", cpu_figure(busy, wall), "—"),
    ]
    for found in CI_PART.finditer(output):
        target = "< 5 min" if found["part"] == "the test command" else "—"
        what = "the suite on every core" if found["part"] == "the test command" else found["part"]
        rows.append((f"… {what}", f"{found['seconds']} s", target))
        if found["part"] == "the test command" and test_command:
            rows.append(
                (
                    "… … its CPU work (set-up included)",
                    cpu_figure(*test_command),
                    f"≤ {300 * CORES} CPU-s (5 min of every core)",
                )
            )
    summary = SUMMARY.search(output)
    rows.append(("… the suite's result", summary["line"] if summary else "no summary", "all pass"))
    for rank, found in enumerate(DURATION.finditer(output), start=1):
        if rank > 10:
            break
        what = f"Slowest test #{rank}: `{found['test']}` ({found['when']})"
        rows.append((what, f"{float(found['seconds']):.1f} s", "—"))
    return rows


def start_up(redis_url: str, runs: int = 7) -> list[Row]:
    """Median time from exec to the first 200 of the good hit counter."""
    times = []
    for _ in range(runs):
        app = AppProcess(COUNTER, env={"REDIS_URL": redis_url})
        app.port = free_port()
        try:
            started = time.monotonic()
            app.spawn()
            while True:
                try:
                    if requests.get(f"{app.url}/hits", timeout=2).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                time.sleep(0.005)
            times.append(time.monotonic() - started)
        finally:
            app.close()
    low, high = min(times), max(times)
    return [
        (
            f"Good hit counter start-up, exec → first 200 (median of {runs})",
            f"{statistics.median(times):.2f} s (range {low:.2f}–{high:.2f})",
            "< 2 s",
        )
    ]


def wrk_binary() -> str | None:
    """`wrk`, installed from Debian when missing and possible; None otherwise."""
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("benchmark: installing wrk from Debian", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
        installed = subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], **quiet)
        if installed.returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], **quiet)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], **quiet)
    return shutil.which("wrk")


def wrk_rate(wrk: str, url: str, connections: int, seconds: float, script: Path) -> float:
    """Requests per second that wrk measured against `url` (2xx only: non-2xx fail it)."""
    out = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"non-2xx answers under load:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])


def python_rate(url: str, connections: int, seconds: float) -> float:
    """Requests per second of `connections` threads posting to `url` (wrk's fallback)."""
    deadline = time.monotonic() + seconds

    def hammer() -> int:
        done = 0
        with requests.Session() as session:
            while time.monotonic() < deadline:
                session.post(url, timeout=10).raise_for_status()
                done += 1
        return done

    with ThreadPoolExecutor(connections) as pool:
        total = sum(pool.map(lambda _: hammer(), range(connections)))
    return total / seconds


def throughput(redis_url: str, rounds: int = 5, seconds: float = 3.0) -> list[Row]:
    """Median requests/second of POST /hits with 1 and 2 processes, and the ratio."""
    wrk = wrk_binary()
    tool = "wrk" if wrk else "Python threads"
    apps = [AppProcess(COUNTER, env={"REDIS_URL": redis_url}) for _ in range(2)]
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        script = Path(folder) / "post.lua"
        script.write_text('wrk.method = "POST"\n')
        try:
            for app in apps:
                app.start()

            def rate(targets: list[AppProcess]) -> float:
                each = 8 // len(targets)
                with ThreadPoolExecutor(len(targets)) as pool:
                    if wrk:
                        jobs = [
                            pool.submit(wrk_rate, wrk, f"{a.url}/hits", each, seconds, script)
                            for a in targets
                        ]
                    else:
                        jobs = [
                            pool.submit(python_rate, f"{a.url}/hits", each, seconds)
                            for a in targets
                        ]
                    return sum(job.result() for job in jobs)

            one, two = [], []
            for _ in range(rounds):
                one.append(rate(apps[:1]))
                two.append(rate(apps))
        finally:
            for app in apps:
                app.close()
    one_median, two_median = statistics.median(one), statistics.median(two)
    return [
        (
            f"Good hit counter, 1 process: POST /hits per second ({tool}, 8 connections, "
            f"median of {rounds} × {seconds:g} s)",
            f"{one_median:,.0f}/s",
            "—",
        ),
        ("… 2 processes, same load split over both", f"{two_median:,.0f}/s", "—"),
        ("… ratio 2 processes / 1 process", f"{two_median / one_median:.2f}×", "> 1.3× on 2 cores"),
    ]


IMPORTS_OF_A_START = "import gunicorn.app.wsgiapp, flask, redis"
"""What a proof's app imports before it serves: the unit most of the suite's work repeats."""


def machine_speed(runs: int = 5) -> list[Row]:
    """CPU-seconds a fresh Python takes to import gunicorn, Flask and redis (median of `runs`).

    This 2-core machine measured 0.40 and 0.22 CPU-s for it an hour apart, as the
    host's load changed; the suite's times move with it. Compare figures of two
    runs only together with this one.
    """
    times = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", IMPORTS_OF_A_START], check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    what = f"Machine speed: CPU to `{IMPORTS_OF_A_START}` in a fresh Python (median of {runs})"
    return [(what, f"{statistics.median(times):.2f} CPU-s", "—")]


def measure() -> list[Row]:
    """The rows of this section: machine speed, start-up, throughput, CI's and the suite's times."""
    rows: list[Row] = machine_speed()
    with RedisServer() as redis_server:
        rows += start_up(redis_server.url)
        rows += throughput(redis_server.url)
    rows += ci_run()
    return rows


if __name__ == "__main__":
    for row in measure():
        print(" | ".join(row))
