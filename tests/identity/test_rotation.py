"""Proofs for the proposed Identity factor: a Redis token kept in the environment vs in a file."""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
import redis
import requests

from proven import AppProcess, RedisServer, Timeline, Traffic, claim

EXAMPLE = "identity/rotation"
IDENTITY = "guestbook"
"""The app's user at Redis: its identity, the same for its whole life; only its token changes."""
REFUSED_ITSELF = "store unavailable: AuthenticationError"
"""What either app logs when Redis refuses its own token."""


class Platform:
    """The platform's side of one app's Redis identity, as PR #34 describes it.

    It creates the identity at Redis, issues it a token, keeps the identity and its
    current token in a file only the app's user can read, and rotates the token: a new
    one is valid at Redis, then written to the file, then the old one is revoked at
    Redis and the sessions opened with it are closed. Redis, not the app, checks every
    token. `issued` is every token it has issued, in order.
    """

    def __init__(self, server: RedisServer, folder: Path) -> None:
        folder.mkdir()
        self.port = server.port
        self.file = folder / "redis-identity.json"
        self.admin = redis.Redis.from_url(server.url, socket_timeout=5)
        self.issued = [secrets.token_urlsafe(24)]
        self.admin.execute_command(
            "ACL", "SETUSER", IDENTITY, "on", f">{self.token}", "~*", "&*", "+@all"
        )
        self._write(self.token)

    @property
    def token(self) -> str:
        """The token the identity holds now."""
        return self.issued[-1]

    def env(self, token_in_url: bool) -> dict[str, str]:
        """The app's environment: `REDIS_IDENTITY_FILE`, the path of the file that always
        holds the identity and its current token, and `REDIS_URL`, Redis's address, which
        with `token_in_url` also carries the identity and the token of the moment."""
        login = f"{IDENTITY}:{quote(self.token, safe='')}@" if token_in_url else ""
        url = f"redis://{login}127.0.0.1:{self.port}/0"
        return {"REDIS_URL": url, "REDIS_IDENTITY_FILE": str(self.file)}

    def rotate(self) -> int:
        """Issue a new token and revoke the old one; return how many sessions were closed."""
        old = self.token
        self.issued.append(secrets.token_urlsafe(24))
        self.admin.execute_command("ACL", "SETUSER", IDENTITY, f">{self.token}")
        self._write(self.token)
        self.admin.execute_command("ACL", "SETUSER", IDENTITY, f"<{old}")
        return self.admin.execute_command("CLIENT", "KILL", "USER", IDENTITY)

    def _write(self, token: str) -> None:
        """Replace the file in one step, as Kubernetes does with a projected token."""
        part = self.file.with_name(self.file.name + ".new")
        part.write_text(json.dumps({"user": IDENTITY, "token": token}) + "\n")
        part.chmod(0o600)
        os.replace(part, self.file)

    def guests(self) -> set[str]:
        """Every name the app's Redis holds, read by the platform itself."""
        return {name.decode() for name in self.admin.lrange("entries", 0, -1)}


def ask(port: int, *words: str) -> str:
    """Redis's own first line in answer to one command, sent on a new connection."""
    encoded = [word.encode() for word in words]
    command = b"*%d\r\n" % len(encoded)
    command += b"".join(b"$%d\r\n%s\r\n" % (len(word), word) for word in encoded)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(command)
        return conn.makefile("rb").readline().decode().strip()


def sign_in(port: int, token: str) -> str:
    """Redis's answer to `AUTH guestbook <token>`: `+OK` or `-WRONGPASS ...`."""
    return ask(port, "AUTH", IDENTITY, token)


def environments(app: AppProcess) -> list[dict[str, str]]:
    """The environment of every process of a running app (gunicorn's master and its
    worker), read from `/proc/<pid>/environ`: what a crash report or a debug page shows."""
    if not Path(f"/proc/{app.pid}/environ").exists():
        pytest.skip("reads a process's environment from /proc (Linux only)")
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit() or os.getpgid(int(entry.name)) != app.pid:
                continue
            raw = (entry / "environ").read_text()
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
        found.append(dict(item.split("=", 1) for item in raw.split("\0") if "=" in item))
    return found


def holding(app: AppProcess, words: list[str]) -> set[str]:
    """The names of the app's environment variables whose value holds any of `words`, as
    they are or URL-encoded, in any of its processes."""
    forms = {form for word in words for form in (word, quote(word, safe=""))}
    return {
        name
        for variables in environments(app)
        for name, value in variables.items()
        if any(form in value for form in forms)
    }


class Guests:
    """Steady traffic to one app: `POST /entries` with a new name each time, `n1`, `n2`, ..."""

    def __init__(self, app: AppProcess) -> None:
        self.app = app
        self.names: list[str] = []
        self.traffic = Traffic(self._sign)

    def _sign(self) -> requests.Response:
        self.names.append(f"n{len(self.names) + 1}")
        return requests.post(f"{self.app.url}/entries", json={"name": self.names[-1]}, timeout=10)

    def between(self, start: float, end: float) -> list[tuple[str, int | None]]:
        """(name, status) of every request sent after `start` that ended before `end`."""
        return [
            (name, sent.response.status_code if sent.response is not None else None)
            for name, sent in zip(self.names, self.traffic.sent, strict=False)
            if sent.started > start and sent.finished < end
        ]


def tally(sent: list[tuple[str, int | None]]) -> str:
    """How many requests ended with each status: `41 × 201`, `12 × 503, 1 × no answer`."""
    counted: dict[int | None, int] = {}
    for _, status in sent:
        counted[status] = counted.get(status, 0) + 1
    return ", ".join(f"{n} × {status or 'no answer'}" for status, n in counted.items()) or "none"


ROTATIONS = 2
"""How many times the proofs of rotation under traffic rotate each twin's token."""
TOKEN_IN_URL = {"bad": True, "good": False}
"""How the platform configures each twin's deploy: the bad one with its identity and token in
`REDIS_URL` (12factor.net's config), the good one with Redis's address alone; both also get
`REDIS_IDENTITY_FILE`, which the bad app never reads."""


@claim(
    "identity-rotation",
    "The good app's environment says only where its identity is: none of its variables holds "
    "its Redis user name or any of the three tokens issued to it, and Redis refuses a client "
    "that does not sign in (NOAUTH), so every request it serves was signed in with the user "
    "and token from the file. "
    "Each time the platform rotates the token under steady traffic (the new token written to "
    "the file, the old one revoked at Redis and its sessions closed), every request the bad "
    "app, whose REDIS_URL holds the token, gets afterwards fails with a 503 until it is "
    "restarted with the new token in its environment; the good app answers every request, "
    "before, between and after two rotations, without a restart.",
)
def test_rotation_under_traffic(start_app, redis_servers, tmp_path, observe):
    """Configure each twin as the platform would, ask its Redis a command without signing in,
    send both twins steady traffic and rotate each one's token twice at its Redis; after each
    rotation restart only the bad twin, with the new token in its environment; then sort every
    request by the stretch of time it ran in, and look for the user name and every token
    issued in the environment of every process of each twin."""
    platforms, apps, guests, anonymous = {}, {}, {}, {}
    for twin in ("bad", "good"):
        server = redis_servers(username="platform", password=secrets.token_hex(16))
        platforms[twin] = Platform(server, tmp_path / twin)
        env = platforms[twin].env(TOKEN_IN_URL[twin])
        anonymous[twin] = ask(urlsplit(env["REDIS_URL"]).port, "PING")
        apps[twin] = start_app(f"{EXAMPLE}/{twin}", env=env)
        guests[twin] = Guests(apps[twin])

    marks = [0.0]  # serving, [rotating, rotated, restarting, restarted] per rotation, end
    closed, refused_logs = [], []
    with guests["bad"].traffic, guests["good"].traffic:
        for _ in range(ROTATIONS):
            time.sleep(1.0)
            marks.append(time.monotonic())
            closed.append({twin: platform.rotate() for twin, platform in platforms.items()})
            marks.append(time.monotonic())
            time.sleep(1.5)
            marks.append(time.monotonic())
            refused_logs.append(apps["bad"].output())
            apps["bad"].env.update(platforms["bad"].env(TOKEN_IN_URL["bad"]))
            apps["bad"].restart()
            marks.append(time.monotonic())
        time.sleep(1.0)
    marks.append(time.monotonic())
    in_env = {twin: holding(apps[twin], [IDENTITY, *platforms[twin].issued]) for twin in apps}
    variables = {twin: len(set().union(*environments(apps[twin]))) for twin in apps}

    bad, good = guests["bad"], guests["good"]
    serving = [(marks[i], marks[i + 1]) for i in range(0, len(marks), 4)]
    refused = [(marks[i], marks[i + 1]) for i in range(2, len(marks) - 1, 4)]
    bad_serving = [bad.between(*stretch) for stretch in serving]
    bad_refused = [bad.between(*stretch) for stretch in refused]
    good_serving = [good.between(*stretch) for stretch in serving]
    good_refused = [good.between(*stretch) for stretch in refused]
    good_all = good.between(0, marks[-1])
    good_answered = [name for name, status in good_all if status == 201]
    bad_answered = [name for serving in bad_serving for name, status in serving if status == 201]

    held = {twin: " and ".join(sorted(in_env[twin])) or "none" for twin in in_env}
    timeline = Timeline({"kept": "entry stored", "lost": "answered, not stored", "failed": "503"})
    for twin, lane in (("bad", timeline.bad), ("good", timeline.good)):
        lane.start(at=min(guest.traffic.sent[0].started for guest in guests.values()))
        stored = platforms[twin].guests()
        for name, sent in zip(guests[twin].names, guests[twin].traffic.sent, strict=False):
            fate = "failed" if not sent.acknowledged else "kept" if name in stored else "lost"
            lane.request(fate, at=sent.finished)
        for rotation in range(ROTATIONS):
            lane.event("token rotated", at=marks[2 + 4 * rotation])
            if apps[twin].starts > 1:
                lane.event("restarted", at=marks[4 + 4 * rotation])
    observe(
        bad=f"variables holding its user or token: {held['bad']}; "
        f"{'; '.join(tally(s) for s in bad_serving)} before, between and after the "
        f"{ROTATIONS} rotations; {'; '.join(tally(r) for r in bad_refused)} from each rotation "
        "until its restart",
        good=f"variables holding its user or one of its {len(platforms['good'].issued)} tokens: "
        f"{held['good']} (of {variables['good']}); unsigned client: "
        f"{anonymous['good'].split()[0].lstrip('-')}; {len(good_all) - len(good_answered)} of "
        f"{len(good_all)} requests failed, {sum(c['good'] for c in closed)} sessions closed by "
        "the rotations, no restart",
        timeline=timeline,
    )

    assert all(answer.startswith("-NOAUTH") for answer in anonymous.values())
    assert len(platforms["good"].issued) == ROTATIONS + 1 and variables["good"] > 0
    assert in_env == {"bad": {"REDIS_URL"}, "good": set()}
    assert len(bad_serving) == ROTATIONS + 1 and len(bad_refused) == ROTATIONS
    for stretch in bad_serving:
        assert stretch and all(status == 201 for _, status in stretch)
    for stretch, log in zip(bad_refused, refused_logs, strict=True):
        assert stretch and all(status == 503 for _, status in stretch)
        assert REFUSED_ITSELF in log
    assert set(bad_answered) <= platforms["bad"].guests()
    for stretch in good_serving + good_refused:
        assert stretch and all(status == 201 for _, status in stretch)
    assert len(good_all) == len(good.traffic.sent) and len(good_answered) == len(good_all)
    assert set(good_answered) <= platforms["good"].guests()
    assert all(c["good"] >= 1 for c in closed) and apps["good"].starts == 1


def copied_tokens(app: AppProcess) -> dict[str, str]:
    """What a leak of the running process hands over, by where it was found: the token in its
    environment (the password in `REDIS_URL`), read from `/proc/<pid>/environ`, and the token
    in the file that environment names."""
    found = {}
    for variables in environments(app):
        if password := urlsplit(variables.get("REDIS_URL", "")).password:
            found["environment"] = unquote(password)
        if path := variables.get("REDIS_IDENTITY_FILE"):
            found["file"] = json.loads(Path(path).read_text())["token"]
    return found


def read_with(port: int, token: str) -> list[str]:
    """The guestbook as a stranger holding `token` reads it, without going through the app."""
    with redis.Redis(port=port, username=IDENTITY, password=token, socket_timeout=5) as thief:
        return [name.decode() for name in thief.lrange("entries", 0, -1)]


@claim(
    "identity-copied-token",
    "A token copied out of a running app opens the app's Redis until the platform rotates it; "
    "then Redis refuses it with WRONGPASS. The bad app's token is found in its environment "
    "(REDIS_URL) and in the file; the good app's environment holds none, only the path of the "
    "file that does. After that rotation the good app is still served, while the bad app is "
    "refused along with the thief: it answers 503, and only after the rotation does its log "
    "show Redis refusing its own token (AuthenticationError).",
)
def test_copied_token_stops_working(start_app, redis_servers, tmp_path, observe):
    """Copy every token out of each running twin, use it to read the guestbook behind the app's
    back, rotate, then try the copies and the apps again."""
    seen = {}
    for twin in ("bad", "good"):
        server = redis_servers(username="platform", password=secrets.token_hex(16))
        platform = Platform(server, tmp_path / twin)
        app = start_app(f"{EXAMPLE}/{twin}", env=platform.env(TOKEN_IN_URL[twin]))
        signed = requests.post(f"{app.url}/entries", json={"name": "Ada"}, timeout=10)
        found = copied_tokens(app)
        copies = set(found.values())
        read = [read_with(platform.port, token) for token in copies]
        before = app.output()
        platform.rotate()
        refusals = [sign_in(platform.port, token) for token in copies]
        later = requests.post(f"{app.url}/entries", json={"name": "Lin"}, timeout=10)
        logs = {"before": before, "after": app.output().removeprefix(before)}
        seen[twin] = (signed.status_code, found, read, refusals, later.status_code, platform, logs)

    def said(twin: str) -> str:
        _, found, read, refusals, later, _, logs = seen[twin]
        refused_itself = REFUSED_ITSELF in logs["after"]
        return (
            f"{len(set(found.values()))} token copied (found in its {' and '.join(found)}); "
            f"with it a stranger read {read[0] if read else []} from Redis; after the rotation "
            f"Redis answered {' '.join(sorted({r.split()[0].lstrip('-') for r in refusals}))}; "
            f"the app then answered {later}"
            f"{', logging AuthenticationError' if refused_itself else ''}"
        )

    observe(bad=said("bad"), good=said("good"))

    for twin in ("bad", "good"):
        signed, found, read, refusals, _, _, logs = seen[twin]
        assert signed == 201
        assert len(set(found.values())) == 1
        assert read == [["Ada"]]
        assert refusals and all(r.startswith("-WRONGPASS") for r in refusals)
        assert REFUSED_ITSELF not in logs["before"]
    assert set(seen["bad"][1]) == {"environment", "file"}
    assert set(seen["good"][1]) == {"file"}
    assert seen["bad"][4] == 503 and REFUSED_ITSELF in seen["bad"][6]["after"]
    assert seen["good"][4] == 201 and seen["good"][5].guests() == {"Ada", "Lin"}
    assert REFUSED_ITSELF not in seen["good"][6]["after"]
