"""Hostile input: every attacked good example answers garbage below 500, briefly, never a trace.

Property-based (hypothesis): each good example, found under `examples/*/*/good/`,
runs as a real gunicorn process and gets requests built from its declared
endpoints: malformed and deeply nested JSON, binary bodies, wrong content
types, payloads of several megabytes, odd headers and cookies, unexpected
methods, hostile path segments, and raw bytes that are not valid HTTP. Every
answer must be below 500, an error must be short and no answer may hold a
stack trace. At the end the same process (no worker restarted) still serves a
normal request and has logged no traceback.

    .venv/bin/pytest tests/hostile
    .venv/bin/pytest tests/hostile --hypothesis-seed 1   # another, reproducible draw

What is attacked is declared by each pair, in its `scenario.toml`: the good
twin's `endpoints` (a test fails until that list matches the app's routes), its
`[env]` and its `setup` command. A placeholder `{name}` in `[env]` is filled
from the class-scoped fixture of that name (`conftest.py`), `{secret}` with a
fresh secret. The tests of one pair share one running good twin, set up once.
A pair that cannot usefully be attacked says why in its `[hostile]` table:
`skip = "why"`. No test here lists examples.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proven import AppProcess, run_to_exit
from proven.scenarios import FILE_NAME, Scenario, scenarios

SCENARIOS = scenarios()
ATTACKED = [
    pytest.param(scenario, id=scenario.twin("good"))
    for scenario in SCENARIOS
    if "skip" not in scenario.hostile
]
"""Every pair whose good twin is attacked: all but those whose `[hostile]` says `skip`."""
IN_CI = bool(os.environ.get("CI"))
HOSTILE = settings(
    max_examples=100,
    deadline=None,
    database=None,
    derandomize=IN_CI,
    suppress_health_check=list(HealthCheck),
)
SHORT = 1024
"""An error answer longer than this many bytes is not a short message."""
PARAM = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def where(scenario: Scenario) -> str:
    """The pair's `scenario.toml`, as a contributor finds it: `examples/<slug>/<scenario>/...`."""
    return f"examples/{scenario.name}/{FILE_NAME}"


def environment(scenario: Scenario, request: pytest.FixtureRequest) -> dict[str, str]:
    """The pair's `[env]`: `{secret}` a fresh secret, any other placeholder a fixture's value."""
    values = {}
    for name in sorted(scenario.placeholders() - {"examples"}):
        if name == "secret":
            values[name] = secrets.token_hex(32)
            continue
        try:
            values[name] = request.getfixturevalue(name)
        except pytest.FixtureLookupError:
            pytest.fail(
                f"{where(scenario)} names {{{name}}} in [env]: add a fixture "
                f'`{name}` that gives its value, with scope="class", to tests/hostile/conftest.py',
                pytrace=False,
            )
    return scenario.environment(values)


# --- What a hostile client sends -----------------------------------------------------------


class LongText(str):
    """A long string that shows itself briefly in hypothesis's falsifying examples."""

    def __repr__(self) -> str:
        return f"{str.__repr__(self[:40])}...({len(self):,} characters)"


class LongBytes(bytes):
    """Long bytes that show themselves briefly in hypothesis's falsifying examples."""

    def __repr__(self) -> str:
        return f"{bytes.__repr__(self[:40])}...({len(self):,} bytes)"


def brief(value):
    """`value`, wrapped so that its repr stays short when it is long."""
    if isinstance(value, bytes) and len(value) > 200:
        return LongBytes(value)
    if isinstance(value, str) and len(value) > 200:
        return LongText(value)
    return value


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
JSON_OBJECTS = st.dictionaries(
    st.sampled_from(["item", "user", "name", "id", "hits", ""]) | st.text(max_size=8),
    JSON_VALUES,
    max_size=3,
)
HUGE_PAYLOADS = [
    b"[" * 100_000,
    b'{"a":' * 50_000,
    b'{"item": "' + b"x" * 2_000_000 + b'"}',
    b"x" * (1024 * 1024 + 1),
    b"item,amount\n" + b"tea,1\n" * 400_000,
    b"\x00" * 8192,
    b"\xff\xfe\xfd" * 1000,
    b"1e999999",
    b'"\\ud800"',
    b'{"item": "\\ud800", "user": "\\udfff"}',
]
"""Bodies that broke real apps: deep nesting, megabytes, huge CSV fields, lone surrogates."""
HUGE = st.sampled_from(HUGE_PAYLOADS)
BODIES = st.one_of(
    st.none(),
    st.binary(max_size=2048),
    st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass")),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    JSON_OBJECTS.map(lambda value: json.dumps(value).encode()),
    HUGE,
)
CONTENT_TYPES = st.sampled_from(
    [
        None,
        "application/json",
        "application/json; charset=utf-16",
        "application/json; charset=no-such-charset",
        "text/plain",
        "text/csv",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "multipart/form-data; boundary=zz",
        "application/octet-stream",
        "image/png",
        ";;;",
        "a" * 2000,
    ]
)
HEADER_VALUES = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=200,
).map(str.strip)
HEADERS = st.dictionaries(
    st.sampled_from(
        [
            "Cookie",
            "Accept",
            "Accept-Encoding",
            "Content-Encoding",
            "Content-Language",
            "Expect",
            "Host",
            "If-None-Match",
            "Origin",
            "Range",
            "Referer",
            "X-Forwarded-For",
            "X-Forwarded-Proto",
            "X-Request-Id",
        ]
    )
    | st.from_regex(r"\AX-[A-Za-z0-9-]{1,40}\Z"),
    st.one_of(
        HEADER_VALUES,
        st.sampled_from(
            [
                "cart_id=" + "0" * 32,
                "cart_id=../../etc/passwd; session=x.y.z",
                "session=eyJ1c2VyIjoiYWRhIn0.forged.signature",
                "gzip",
                "100-continue",
                "bytes=9-1",
                "x" * 7000,
            ]
        ),
    ),
    max_size=4,
)
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND", "BREW"]
PATH_VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["..", "../../etc/passwd", ".", "%00", "a" * 5000, "0" * 32, "photo.png", "CON", " "]
    ),
)


@st.composite
def hostile_requests(draw: st.DrawFn, endpoints: tuple[str, ...]) -> dict[str, object]:
    """One request aimed at one of `endpoints`: its method may be the right one, or not."""
    method, template = draw(st.sampled_from(endpoints)).split(" ", 1)
    path = PARAM.sub(lambda _: quote(draw(PATH_VALUES), safe=""), template)
    headers = draw(HEADERS)
    content_type = draw(CONTENT_TYPES)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return {
        "method": draw(st.sampled_from([method, method, *METHODS])),
        "path": brief(path),
        "params": draw(st.dictionaries(st.text(max_size=10), st.text(max_size=30), max_size=3)),
        "headers": {name: brief(value) for name, value in headers.items()},
        "data": brief(draw(BODIES)),
    }


RAW_LINES = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(
        [
            b"Content-Length: -1",
            b"Content-Length: 99999999999999999999",
            b"Content-Length: 5\r\nContent-Length: 6",
            b"Transfer-Encoding: chunked",
            b"Transfer-Encoding: gzip, chunked",
            b"Transfer-Encoding: chunked\r\nContent-Length: 3",
            b" folded: header",
            b"No-Colon-Here",
            b"Bad Name: value",
            b"\xff\xfe: \x00\x01",
            b"X-Big: " + b"x" * 20_000,
            b"Host: " + b"h" * 9000,
            b"Content-Type: application/json",
        ]
    ),
)


@st.composite
def raw_requests(draw: st.DrawFn, endpoints: tuple[str, ...]) -> bytes:
    """Bytes that pretend to be HTTP: odd request lines, headers, framing and bodies."""
    method, template = draw(st.sampled_from(endpoints)).split(" ", 1)
    target = PARAM.sub("x", template).encode()
    method_bytes = draw(st.sampled_from([method.encode(), b"G\x00T", b"", b"get", b"P O S T"]))
    target = draw(st.sampled_from([target, b"*", b"http://evil.example/", b"//", b"/" * 9000]))
    version = draw(st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/9.9", b""]))
    lines = [b" ".join(part for part in (method_bytes, target, version) if part)]
    lines += [b"Host: 127.0.0.1", *draw(st.lists(RAW_LINES, max_size=4))]
    body = draw(st.one_of(st.binary(max_size=200), st.sampled_from([b"zz\r\nxyz\r\n", b"0\r\n"])))
    return brief(b"\r\n".join(lines) + b"\r\n\r\n" + body)


# --- Checks --------------------------------------------------------------------------------


def check_answer(status: int, body: bytes, sent: object, echoed: int = 0) -> None:
    """Below 500; an error is short; nothing looks like a stack trace.

    `echoed` is the length of the longest header sent: a server may quote a
    bad header back in its error, which is the client's own input, not a leak.
    """
    assert status < 500, f"{status} for {sent!r:.300}: {body[:300]!r}"
    if status >= 400:
        assert len(body) <= SHORT + echoed, f"{status}: {len(body)} bytes for {sent!r:.300}"
    for trace in (b"Traceback", b'File "'):
        assert trace not in body, f"{status} answer shows a trace for {sent!r:.300}: {body!r:.300}"


def check_still_serving(app, scenario: Scenario, workers_booted: int) -> None:
    """The process kept running (same worker, no traceback logged) and serves a normal request."""
    reads = [e for e in scenario.endpoints if e.startswith("GET ")] or list(scenario.endpoints)
    method, template = reads[0].split(" ", 1)
    answer = requests.request(method, app.url + PARAM.sub("x", template), timeout=10)
    assert answer.status_code < 500
    log = app.output()
    assert "Traceback" not in log, log[-3000:]
    assert log.count("Booting worker") == workers_booted, log[-3000:]


def send_raw(port: int, payload: bytes) -> tuple[int | None, bytes]:
    """Send bytes on a fresh connection, close our side, read the answer: (status, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        try:
            connection.sendall(payload)
            connection.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may close first, e.g. after a too-large header
        chunks = []
        try:
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
    answer = b"".join(chunks)
    found = re.match(rb"HTTP/\d\.\d (\d{3})", answer)
    return (int(found[1]) if found else None), answer.partition(b"\r\n\r\n")[2]


# --- Tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.twin("good"))
def test_every_good_example_declares_its_endpoints(scenario: Scenario):
    """A good example is attacked on the endpoints its `scenario.toml` declares."""
    if "skip" in scenario.hostile:
        return
    if not scenario.endpoints:
        pytest.fail(
            f'{where(scenario)}: add endpoints = ["METHOD /path/<param>", ...], the '
            'good twin\'s routes, or a [hostile] table after [env] with skip = "why" saying '
            "why it cannot usefully be attacked",
            pytrace=False,
        )


def test_every_left_out_example_says_why():
    """A `[hostile]` table holds `skip` alone, a reason, so no typo leaves a pair unattacked."""
    wrong = [
        f"{where(scenario)}: [hostile] holds `skip` alone, saying why"
        for scenario in SCENARIOS
        if scenario.hostile
        and (
            set(scenario.hostile) != {"skip"}
            or not isinstance(scenario.hostile["skip"], str)
            or not scenario.hostile["skip"].strip()
        )
    ]
    assert not wrong, "\n".join(wrong)


@pytest.fixture(scope="class")
def target(scenario: Scenario, request: pytest.FixtureRequest) -> Iterator[AppProcess]:
    """The pair's good twin, running: its one-off setup command run first, if it has one.

    One process per pair serves every attack on it, so the last check of each
    test (still serving, no traceback, no worker restarted) covers the attacks
    of the tests before it too.
    """
    env = environment(scenario, request)
    if scenario.setup:
        done = run_to_exit(scenario.twin("good"), env=env, command=scenario.setup_command)
        assert done.code == 0, done.output
    app = AppProcess(scenario.twin("good"), env=env)
    try:
        yield app.start()
    finally:
        app.close()


@pytest.mark.parametrize("scenario", ATTACKED, scope="class")
class TestAttack:
    """The attacks on one pair's good twin, which all share one running process (`target`)."""

    def test_declared_endpoints_are_the_apps_routes(
        self, scenario: Scenario, request: pytest.FixtureRequest
    ):
        """The declared endpoints match the app's real routes, so none escapes the attack."""
        show_routes = (
            "from app import app\n"
            "for rule in app.url_map.iter_rules():\n"
            "    for method in sorted(rule.methods - {'HEAD', 'OPTIONS'}):\n"
            "        if rule.endpoint != 'static': print(method, rule.rule)\n"
        )
        # No __pycache__ left in the example: proofs copy and search its folder.
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONDONTWRITEBYTECODE": "1",
            **environment(scenario, request),
        }
        routes = subprocess.run(
            [sys.executable, "-c", show_routes],
            cwd=scenario.folder / "good",
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split("\n")
        served, declared = sorted(filter(None, routes)), sorted(scenario.endpoints)
        assert served == declared, (
            f"{where(scenario)} declares `endpoints` = {declared}, "
            f"but the good twin's app serves {served}: "
            f"declared, not served: {sorted(set(declared) - set(served))}; "
            f"served, not declared: {sorted(set(served) - set(declared))}. "
            "Make `endpoints` list exactly the routes the good twin serves."
        )

    def test_hostile_requests_get_short_4xx_never_5xx(self, scenario: Scenario, target: AppProcess):
        """Known-nasty bodies, then 100 generated requests: all below 500, short, trace-free."""
        seen: dict[int, int] = {}

        def answers_without_error(sent: dict) -> None:
            path = sent.pop("path")
            answer = requests.request(url=target.url + path, timeout=30, **sent)
            seen[answer.status_code] = seen.get(answer.status_code, 0) + 1
            echoed = max((len(value) for value in sent["headers"].values()), default=0)
            check_answer(answer.status_code, answer.content, {"path": path, **sent}, echoed)

        for endpoint in scenario.endpoints:  # every known-nasty body on every endpoint, always
            method, template = endpoint.split(" ", 1)
            for payload in HUGE_PAYLOADS:
                for content_type in ("application/json", "text/csv"):
                    headers = {"Content-Type": content_type}
                    path = PARAM.sub("x", template)
                    answers_without_error(
                        {"method": method, "path": path, "headers": headers, "data": brief(payload)}
                    )
        HOSTILE(given(hostile_requests(scenario.endpoints))(answers_without_error))()
        print(f"{scenario.twin('good')}: answers by status {dict(sorted(seen.items()))}")
        assert any(400 <= status < 500 for status in seen)
        check_still_serving(target, scenario, workers_booted=1)

    def test_raw_bytes_never_get_a_5xx(self, scenario: Scenario, target: AppProcess):
        """100 byte strings that are not valid HTTP: none gets a 5xx, the process stays up."""
        seen: dict[int | None, int] = {}

        @HOSTILE
        @given(raw_requests(scenario.endpoints))
        def answers_without_error(payload: bytes) -> None:
            status, body = send_raw(target.port, payload)
            seen[status] = seen.get(status, 0) + 1
            if status is not None:
                check_answer(status, body, payload, echoed=len(payload))

        answers_without_error()
        print(f"{scenario.twin('good')}: raw answers by status {seen}")
        check_still_serving(target, scenario, workers_booted=1)
