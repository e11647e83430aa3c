"""Hostile input: every good example answers garbage with a short 4xx, never a 5xx or a trace.

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

A new good example joins by adding its endpoints to `TARGETS`: a test fails
until it is there, and another until its list matches the app's routes. An
example that cannot be a target goes in `NOT_ATTACKED` with the reason.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proven import run_to_exit
from proven.paths import EXAMPLES_DIR


@dataclass(frozen=True)
class Target:
    """A good example's endpoints (`"METHOD /path/<param>"`) and the environment it needs.

    An environment value `{fixture}` is replaced by that pytest fixture's value
    (`{redis_url}`, `{database_url}`, `{greeter_url}` from `conftest.py`);
    `{secret}` by a fresh random secret. `setup` names a one-off admin command
    of the app (`flask --app app.py <setup>`, such as a migration) run to
    completion, with the same environment, before the app starts.
    """

    endpoints: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    setup: str | None = None


REDIS = {"REDIS_URL": "{redis_url}"}
POSTGRES = {"DATABASE_URL": "{database_url}"}
PORT = {"PORT": "8000"}  # checked at import; gunicorn binds the port the harness picks
GREETING = ("GET /hello",)
SHOP = {"SHIPPING_FEE": "4.95"}

TARGETS: dict[str, Target] = {
    "admin-processes/migrations/good": Target(("POST /notes", "GET /notes"), POSTGRES, "migrate"),
    "admin-processes/purge/good": Target(
        ("POST /tasks", "POST /tasks/<int:task_id>/done", "GET /tasks"), POSTGRES, "migrate"
    ),
    "backing-services/attached/good": Target(("POST /notes", "GET /notes"), REDIS),
    "backing-services/managed/good": Target(("POST /notes", "GET /notes"), REDIS),
    "backing-services/outage/good": Target(("POST /notes", "GET /notes"), REDIS),
    "build-release-run/releases/good": Target(("GET /",), {"SITE_NAME": "Hostile shop"}),
    "codebase/deploys/good": Target(("GET /", "GET /shipping"), SHOP),
    "codebase/shared-code/good": Target(
        # The shared library, importable as an installed package would be.
        ("GET /invoice",),
        {**SHOP, "PYTHONPATH": str(EXAMPLES_DIR / "codebase" / "shared-code" / "shiprules")},
    ),
    "concurrency/foreground/good": Target(("GET /",)),
    "concurrency/jobs/good": Target(("POST /jobs", "GET /jobs/<job_id>"), REDIS),
    "config/credentials/good": Target(("POST /entries", "GET /entries"), REDIS),
    "config/environments/good": Target(
        ("POST /entries", "GET /entries"), {**REDIS, "GUESTBOOK_OPEN": "yes"}
    ),
    "config/leaky-logs/good": Target(("POST /entries", "GET /entries"), REDIS),
    "config/required/good": Target(("POST /entries", "GET /entries"), REDIS),
    "dependencies/undeclared-package/good": Target(("POST /render",), {"SITE_NAME": "Notes"}),
    "dependencies/undeclared-tool/good": Target(("POST /export",), {"SITE_NAME": "team-notes"}),
    "dev-prod-parity/cache/good": Target(("GET /primes",), REDIS),
    "dev-prod-parity/leaderboard/good": Target(
        ("POST /players", "GET /players", "GET /leaders"), POSTGRES, "init-db"
    ),
    "disposability/startup/good": Target(("GET /products/<sku>",), REDIS),
    "disposability/worker/good": Target(("POST /payouts", "GET /ledger"), REDIS),
    "identity/rotation/good": Target(
        ("POST /entries", "GET /entries"), {**REDIS, "REDIS_IDENTITY_FILE": "{identity_file}"}
    ),
    "logs/request-log/good": Target(("GET /orders/<order_id>",)),
    "port-binding/dev-server/good": Target(GREETING, PORT),
    "port-binding/hosted/good": Target(GREETING, PORT),
    "port-binding/port/good": Target(GREETING, PORT),
    "port-binding/service-app/good": Target(("GET /welcome",), {"GREETER_URL": "{greeter_url}"}),
    "processes/shared-secret/good": Target(("POST /login", "GET /me"), {"SECRET_KEY": "{secret}"}),
    "stateless-processes/cart/good": Target(("POST /cart/items", "GET /cart"), REDIS),
    "stateless-processes/hit-counter/good": Target(("POST /hits", "GET /hits"), REDIS),
    "stateless-processes/scratch-space/good": Target(
        ("POST /reports", "GET /reports/<report_id>"), REDIS
    ),
    "stateless-processes/uploads/good": Target(("PUT /files/<name>", "GET /files/<name>"), REDIS),
}
"""Every good example's endpoints, in one place: the only entry a new example adds."""

NOT_ATTACKED: dict[str, str] = {
    "disposability/drain/good": (
        "reads no input at all (no body, query, header or path parameter) and sleeps 2.5 s "
        "in every POST by design, so 200 hostile requests would take minutes and test only "
        "gunicorn and Flask, which every other target already covers"
    ),
}
"""Good examples left out on purpose: example -> why it cannot usefully be attacked."""

GOOD_EXAMPLES = sorted(
    str(path.parent.relative_to(EXAMPLES_DIR)) for path in EXAMPLES_DIR.glob("*/*/good/app.py")
)
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


def environment(target: Target, request: pytest.FixtureRequest) -> dict[str, str]:
    """The target's environment with `{fixture}` and `{secret}` filled in."""

    def fill(match: re.Match[str]) -> str:
        name = match[1]
        return secrets.token_hex(32) if name == "secret" else request.getfixturevalue(name)

    return {key: re.sub(r"\{(\w+)\}", fill, value) for key, value in target.env.items()}


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


def check_still_serving(app, target: Target, workers_booted: int) -> None:
    """The process kept running (same worker, no traceback logged) and serves a normal request."""
    reads = [e for e in target.endpoints if e.startswith("GET ")] or list(target.endpoints)
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


@pytest.mark.parametrize("example", GOOD_EXAMPLES)
def test_every_good_example_declares_its_endpoints(example: str):
    """A good example is attacked only if its endpoints are declared in TARGETS."""
    if example in NOT_ATTACKED:
        assert example not in TARGETS, f"{example!r} is both a target and left out"
        assert NOT_ATTACKED[example].strip(), f"say why {example!r} is left out"
        return
    assert example in TARGETS, f"add {example!r} and its endpoints to TARGETS in {__file__}"


def test_every_left_out_example_exists():
    """NOT_ATTACKED names only good examples that exist, so no stale entry hides a new one."""
    assert sorted(set(NOT_ATTACKED) - set(GOOD_EXAMPLES)) == []


@pytest.mark.parametrize("example", sorted(TARGETS))
def test_declared_endpoints_are_the_apps_routes(example: str, request: pytest.FixtureRequest):
    """The declared endpoints match the routes the app really has, so none escapes the attack."""
    target = TARGETS[example]
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
        **environment(target, request),
    }
    routes = subprocess.run(
        [sys.executable, "-c", show_routes],
        cwd=Path(EXAMPLES_DIR, example),
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.split("\n")
    assert sorted(filter(None, routes)) == sorted(target.endpoints)


def start_target(example: str, start_app, request: pytest.FixtureRequest):
    """Run the target's one-off setup command, if any, then start the app."""
    target = TARGETS[example]
    env = environment(target, request)
    if target.setup:

        def setup(folder: Path, port: int) -> list[str]:
            return [sys.executable, "-m", "flask", "--app", str(folder / "app.py"), target.setup]

        done = run_to_exit(example, env=env, command=setup)
        assert done.code == 0, done.output
    return start_app(example, env=env)


@pytest.mark.parametrize("example", sorted(TARGETS))
def test_hostile_requests_get_short_4xx_never_5xx(example, start_app, request):
    """Send known-nasty bodies, then 100 generated requests: all below 500, short, trace-free."""
    target = TARGETS[example]
    app = start_target(example, start_app, request)
    seen: dict[int, int] = {}

    def answers_without_error(sent: dict) -> None:
        path = sent.pop("path")
        answer = requests.request(url=app.url + path, timeout=30, **sent)
        seen[answer.status_code] = seen.get(answer.status_code, 0) + 1
        echoed = max((len(value) for value in sent["headers"].values()), default=0)
        check_answer(answer.status_code, answer.content, {"path": path, **sent}, echoed)

    for endpoint in target.endpoints:  # every known-nasty body on every endpoint, always
        method, template = endpoint.split(" ", 1)
        for payload in HUGE_PAYLOADS:
            for content_type in ("application/json", "text/csv"):
                headers = {"Content-Type": content_type}
                path = PARAM.sub("x", template)
                answers_without_error(
                    {"method": method, "path": path, "headers": headers, "data": brief(payload)}
                )
    HOSTILE(given(hostile_requests(target.endpoints))(answers_without_error))()
    print(f"{example}: answers by status {dict(sorted(seen.items()))}")
    assert any(400 <= status < 500 for status in seen)
    check_still_serving(app, target, workers_booted=1)


@pytest.mark.parametrize("example", sorted(TARGETS))
def test_raw_bytes_never_get_a_5xx(example, start_app, request):
    """Send 100 byte strings that are not valid HTTP; none gets a 5xx and the process stays up."""
    target = TARGETS[example]
    app = start_target(example, start_app, request)
    seen: dict[int | None, int] = {}

    @HOSTILE
    @given(raw_requests(target.endpoints))
    def answers_without_error(payload: bytes) -> None:
        status, body = send_raw(app.port, payload)
        seen[status] = seen.get(status, 0) + 1
        if status is not None:
            check_answer(status, body, payload, echoed=len(payload))

    answers_without_error()
    print(f"{example}: raw answers by status {seen}")
    check_still_serving(app, target, workers_booted=1)
