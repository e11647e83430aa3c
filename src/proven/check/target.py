"""What `proven check` runs, and how: the app under check, from options or a TOML file.

A [`Target`][proven.check.target.Target] says how to start the app (a shell
command that reads `PORT`), where its code is, its environment, the settings
it cannot start without, and the requests that write and read its state. The
same facts can live in a `proven.toml` in the team's repository:

```toml
start = "gunicorn --bind 127.0.0.1:$PORT app:app"
cwd = "."                      # the app's code, relative to this file
required = ["REDIS_URL"]
redis = true                   # start a throwaway Redis, given as REDIS_URL
write = "POST /entries"
body = '{"name": "{token}"}'   # {token}: a fresh value per write, to find it again
read = "GET /entries"
header = ["Accept: application/json"]  # sent with every request
login = "POST /login"          # signed in first; the kit's visitor keeps its cookies
login_body = '{"user": "ci", "password": "ci"}'

[env]
LOG_LEVEL = "info"
```
"""

from __future__ import annotations

import argparse
import json
import re
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import requests

FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
"""A placeholder in a request's path or body: `{token}`, or a field of the write's JSON answer."""

TOKEN = "token"
"""The placeholder the kit fills with a fresh value for every write (letters and digits)."""

SERVICE_VARIABLES = {"redis": "REDIS_URL", "postgres": "DATABASE_URL"}
"""The variable each service the kit can start is given to the app in, by default."""


class TargetError(ValueError):
    """Options or a `proven.toml` that do not describe an app the kit can run.

    Example:
        ```python
        import pytest

        from proven.check.target import Request, TargetError

        with pytest.raises(TargetError, match="METHOD /path"):
            Request.parse("/items")
        ```
    """


@dataclass(frozen=True)
class Request:
    """One HTTP request the kit sends: method, path and body, with `{name}` placeholders.

    Example:
        ```python
        from proven.check.target import Request

        write = Request.parse("POST /entries", body='{"name": "{token}"}')
        sent = write.fill({"token": "k1"})
        assert (sent.label, sent.body) == ("POST /entries", '{"name": "k1"}')
        assert Request.parse("GET /reports/{id}").fields() == {"id"}
        ```
    """

    method: str
    path: str
    body: str | None = None
    content_type: str = "application/json"

    @classmethod
    def parse(
        cls, text: str, body: str | None = None, content_type: str = "application/json"
    ) -> Request:
        """Read `"METHOD /path"`; `TargetError` says what the form must be."""
        method, _, path = text.strip().partition(" ")
        if not method.isalpha() or not path.strip().startswith("/"):
            raise TargetError(f"{text!r}: write a request as METHOD /path, e.g. 'POST /items'")
        return cls(method.upper(), path.strip(), body, content_type)

    @property
    def label(self) -> str:
        """`METHOD /path`, as the report shows it."""
        return f"{self.method} {self.path}"

    def fields(self) -> set[str]:
        """The names of the placeholders in its path and body."""
        return set(FIELD.findall(self.path + (self.body or "")))

    def fill(self, values: Mapping[str, object]) -> Request:
        """The request with every placeholder that `values` names filled in."""

        def put(text: str) -> str:
            return FIELD.sub(
                lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text
            )

        body = None if self.body is None else put(self.body)
        return replace(self, path=put(self.path), body=body)

    def options(self) -> dict[str, Any]:
        """Its body and `Content-Type` header, as keyword arguments of `requests`."""
        if self.body is None:
            return {}
        return {"data": self.body.encode(), "headers": {"Content-Type": self.content_type}}

    def send(
        self, session: requests.Session, base: str, timeout: float = 10.0
    ) -> requests.Response:
        """Send it to the app at `base` (`http://127.0.0.1:N`)."""
        return session.request(self.method, base + self.path, timeout=timeout, **self.options())


@dataclass(frozen=True)
class Target:
    """The app under check: how to start it, where its code is, and what to ask it.

    Example:
        ```python
        from pathlib import Path

        from proven.check.target import Request, Target

        app = Target(
            start="gunicorn --bind 127.0.0.1:$PORT app:app",
            cwd=Path("."),
            required=("REDIS_URL",),
            write=Request.parse("POST /hits"),
            read=Request.parse("GET /hits"),
        )
        assert app.services == {}
        ```
    """

    start: str
    """Shell command that starts the app in the foreground and serves on `$PORT`."""
    cwd: Path
    """The folder of the app's code; every start runs in a fresh copy of it."""
    env: Mapping[str, str] = field(default_factory=dict)
    """The app's environment (besides `PATH`, `LANG`, `HOME`, `TMPDIR` and `PORT`)."""
    required: tuple[str, ...] = ()
    """Settings the app must refuse to start without (`fails-fast`)."""
    write: Request | None = None
    """A request that changes the app's state."""
    read: Request | None = None
    """A request that shows that state; `{field}` takes a value from the write's JSON answer."""
    slow: Request | None = None
    """A request that takes a while, to have requests in flight at SIGTERM (`sigterm-drains`)."""
    setup: str | None = None
    """A release command, run to its end in the folder of each start before the app starts."""
    services: Mapping[str, str] = field(default_factory=dict)
    """Services the kit starts: `{"redis": "REDIS_URL"}` gives a throwaway Redis's URL."""
    ready_path: str = "/"
    """Path polled until the app answers HTTP (any status counts as an answer)."""
    start_timeout: float = 20.0
    """Seconds the app has to answer its first request."""
    startup_limit: float = 10.0
    """Start-up time, exec to first answer, above which `startup-time` fails."""
    grace: float = 30.0
    """Seconds the app has to exit after SIGTERM, as a platform allows it."""
    checks: tuple[str, ...] = ()
    """The checks to run (default: all of them)."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Headers the kit's visitor sends with every request (`Authorization`, `Accept`, ...)."""
    login: Request | None = None
    """A request the visitor sends first, to sign in; it keeps the cookies of its answer."""
    findings: Findings = field(default_factory=lambda: Findings(), compare=False, repr=False)
    """What the checks of this run learned about the app, for the checks after them."""


@dataclass
class Findings:
    """What one check learned about the app that decides how the next ones go.

    Filled by the checks as they run, in their order, on one `Target`: whether
    the app ever answered, whether it crash-looped, whether its read shows
    what its write wrote, and the isolation its copies got.

    Example:
        ```python
        from pathlib import Path

        from proven.check.target import Target

        target = Target(start="python app.py", cwd=Path("."))
        target.findings.never_answered = "exited 1: REDIS_URL must be set"
        assert target.findings.crash_loop == ""
        ```
    """

    never_answered: str = ""
    """Why nothing answered on `PORT` when `binds-port` started the app, if it did not."""
    crash_loop: str = ""
    """The crash loop `binds-port` saw: children started and died while nothing answered."""
    read_hides_writes: str | None = None
    """Why the read does not show a write (empty: it does; None: not known yet)."""
    first_answer: float | None = None
    """Seconds from exec to the first answer when `binds-port` started the app (None: not yet)."""


def _request(data: Mapping[str, Any], key: str) -> Request | None:
    if not data.get(key):
        return None
    if key == "login":
        body = data.get("login_body")
        return Request.parse(str(data[key]), body, _content_type(body))
    body = data.get("body") if key == "write" else None
    return Request.parse(str(data[key]), body, data.get("content_type", "application/json"))


def _content_type(body: str | None) -> str:
    """JSON when `body` is JSON, a form otherwise (`user=ci&password=ci`)."""
    try:
        json.loads(body or "")
    except ValueError:
        return "application/x-www-form-urlencoded"
    return "application/json"


def parse_header(text: str) -> tuple[str, str]:
    """`Name: value` as a pair; `TargetError` when it has no name or no colon.

    Example:
        ```python
        from proven.check.target import parse_header

        assert parse_header("Authorization: Bearer abc") == ("Authorization", "Bearer abc")
        ```
    """
    name, colon, value = text.partition(":")
    if not colon or not name.strip() or " " in name.strip():
        raise TargetError(f"--header {text!r}: write 'Name: value'")
    return name.strip(), value.strip()


def target_from_mapping(data: Mapping[str, Any], base: Path) -> Target:
    """A `Target` from a `proven.toml`'s table; relative `cwd` is taken from `base`.

    Example:
        ```python
        from pathlib import Path

        from proven.check.target import target_from_mapping

        target = target_from_mapping(
            {"start": "python app.py", "redis": True, "write": "POST /hits"}, Path("/srv")
        )
        assert target.cwd == Path("/srv") and target.services == {"redis": "REDIS_URL"}
        assert target.write.label == "POST /hits" and target.read is None
        ```
    """
    known = {"start", "cwd", "env", "required", "write", "body", "read", "slow", "setup"}
    known |= {"content_type", "ready_path", "start_timeout", "startup_limit", "grace", "checks"}
    known |= {"header", "login", "login_body"}
    known |= set(SERVICE_VARIABLES)
    unknown = sorted(set(data) - known)
    if unknown:
        raise TargetError(f"unknown keys {unknown}; known: {sorted(known)}")
    if not isinstance(data.get("start"), str) or not data["start"].strip():
        raise TargetError("say how to start the app: start = 'gunicorn --bind :$PORT app:app'")
    if data.get("body") is not None and not data.get("write"):
        raise TargetError("a body (--body) is sent with the write: name it (--write 'POST /items')")
    if data.get("login_body") and not data.get("login"):
        raise TargetError(
            "a login body needs the login request it goes with: --login 'POST /login'"
        )
    services = {}
    for service, variable in SERVICE_VARIABLES.items():
        wanted = data.get(service, False)
        if wanted:
            services[service] = wanted if isinstance(wanted, str) else variable
    numbers = {
        key: float(data[key]) for key in ("start_timeout", "startup_limit", "grace") if key in data
    }
    return Target(
        start=data["start"],
        cwd=(base / str(data.get("cwd", "."))).resolve(),
        env={str(k): str(v) for k, v in dict(data.get("env", {})).items()},
        required=tuple(data.get("required", ())),
        write=_request(data, "write"),
        read=_request(data, "read"),
        slow=_request(data, "slow"),
        setup=data.get("setup"),
        services=services,
        ready_path=data.get("ready_path", "/"),
        checks=tuple(data.get("checks", ())),
        headers=dict(parse_header(str(text)) for text in data.get("header", ())),
        login=_request(data, "login"),
        **numbers,
    )


def _config_data(path: Path) -> dict[str, Any]:
    """The tables of a `proven.toml` file; `TargetError` names the file when it cannot be read."""
    try:
        return tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise TargetError(f"{path}: {error}") from error


def read_config(path: Path) -> Target:
    r"""A `Target` from a `proven.toml` file; `TargetError` names the file and what is wrong.

    Example:
        ```python
        import tempfile
        from pathlib import Path

        from proven.check.target import read_config

        with tempfile.TemporaryDirectory() as folder:
            config = Path(folder, "proven.toml")
            config.write_text('start = "python app.py"\nrequired = ["SECRET_KEY"]\n')
            assert read_config(config).required == ("SECRET_KEY",)
        ```
    """
    data = _config_data(path)
    try:
        return target_from_mapping(data, path.resolve().parent)
    except TargetError as error:
        raise TargetError(f"{path}: {error}") from error


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options of `proven check` that describe the target app.

    Example:
        ```python
        import argparse

        from proven.check.target import add_options

        parser = argparse.ArgumentParser()
        add_options(parser)
        options = parser.parse_args(["--start", "python app.py", "--env", "A=1", "--redis"])
        assert options.env == ["A=1"] and options.redis == "REDIS_URL"
        ```
    """
    parser.add_argument("--config", type=Path, help="a proven.toml that describes the app")
    parser.add_argument("--start", help='command that serves on $PORT: "gunicorn app:app ..."')
    parser.add_argument("--cwd", type=Path, help="folder of the app's code (default: .)")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="a setting (repeatable)"
    )
    parser.add_argument(
        "--required",
        action="append",
        default=[],
        metavar="NAME",
        help="a setting it must not start without (repeatable)",
    )
    parser.add_argument("--write", metavar='"POST /items"', help="a request that writes state")
    parser.add_argument("--body", help="its body; {token} is a fresh value per write")
    parser.add_argument("--content-type", default="application/json", help="of the body")
    parser.add_argument("--read", metavar='"GET /items"', help="a request that reads it back")
    parser.add_argument("--slow", metavar='"GET /report"', help="a slow request, for SIGTERM")
    parser.add_argument("--setup", help="release command run in the app's folder before each start")
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        dest="headers",
        metavar="'NAME: VALUE'",
        help="a header sent with every request (repeatable)",
    )
    parser.add_argument("--login", metavar='"POST /login"', help="a request that signs in first")
    parser.add_argument("--login-body", help="its body (JSON, or a form: user=ci&password=ci)")
    for service, variable in SERVICE_VARIABLES.items():
        parser.add_argument(
            f"--{service}",
            nargs="?",
            const=variable,
            metavar="VARIABLE",
            help=f"start a throwaway {service} server, its URL in VARIABLE (default {variable})",
        )
    parser.add_argument("--ready-path", help="path polled until the app answers (default /)")
    parser.add_argument("--start-timeout", type=float, help="seconds to first answer (20)")
    parser.add_argument("--startup-limit", type=float, help="start-up time that fails (10 s)")
    parser.add_argument("--grace", type=float, help="seconds allowed to exit on SIGTERM (30)")
    parser.add_argument(
        "--check", action="append", default=[], dest="checks", help="run only it (repeatable)"
    )


def target_from_options(options: argparse.Namespace) -> Target:
    """A `Target` from parsed options: a `--config` file, with the options given on top.

    Example:
        ```python
        import argparse

        from proven.check.target import add_options, target_from_options

        parser = argparse.ArgumentParser()
        add_options(parser)
        options = parser.parse_args(["--start", "python app.py", "--env", "SITE=Notes"])
        assert target_from_options(options).env == {"SITE": "Notes"}
        ```
    """
    data: dict[str, Any] = {}
    base = Path.cwd()
    if options.config is not None:
        data = _config_data(options.config)
        base = options.config.resolve().parent
    env = dict(data.get("env", {}))
    for pair in options.env:
        name, equals, value = pair.partition("=")
        if not equals or not name:
            raise TargetError(f"--env {pair!r}: write NAME=VALUE")
        env[name] = value
    data["env"] = env
    if options.headers:
        data["header"] = [*data.get("header", []), *options.headers]
    if options.cwd is not None:
        data["cwd"] = str(options.cwd.resolve())
    given = {
        "start": options.start,
        "write": options.write,
        "body": options.body,
        "read": options.read,
        "slow": options.slow,
        "setup": options.setup,
        "login": options.login,
        "login_body": options.login_body,
        "ready_path": options.ready_path,
        "start_timeout": options.start_timeout,
        "startup_limit": options.startup_limit,
        "grace": options.grace,
        **{service: getattr(options, service) for service in SERVICE_VARIABLES},
    }
    data.update({key: value for key, value in given.items() if value is not None})
    if options.content_type != "application/json" or "content_type" not in data:
        data["content_type"] = options.content_type
    if options.required:
        data["required"] = [*data.get("required", []), *options.required]
    if options.checks:
        data["checks"] = options.checks
    return target_from_mapping(data, base)


def new_token() -> str:
    """A fresh value for `{token}`: a letter, then eleven letters and digits.

    Example:
        ```python
        from proven.check.target import new_token

        token = new_token()
        assert token[0].isalpha() and token.isalnum() and len(token) == 12
        ```
    """
    return "k" + uuid.uuid4().hex[:11]
