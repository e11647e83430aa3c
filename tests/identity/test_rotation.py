"""Proofs for the proposed Identity factor: a Redis token kept in the environment vs in a file."""

from __future__ import annotations

import os
import secrets
import socket
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
import redis
import requests

from proven import AppProcess, RedisServer, Traffic, claim

EXAMPLE = "identity/rotation"
IDENTITY = "guestbook"
"""The app's user at Redis: its identity, the same for its whole life; only its token changes."""
REFUSED_ITSELF = "store unavailable: AuthenticationError"
"""What either app logs when Redis refuses its own token."""


class Platform:
    """The platform's side of one app's Redis identity, as PR #34 describes it.

    It creates the identity at Redis, issues it a token, keeps the current token
    in a file only the app's user can read, and rotates it: a new token is valid
    at Redis, then written to the file, then the old one is revoked at Redis and
    the sessions opened with it are closed. Redis, not the app, checks every token.
    """

    def __init__(self, server: RedisServer, folder: Path) -> None:
        folder.mkdir()
        self.port = server.port
        self.file = folder / "redis-token"
        self.admin = redis.Redis.from_url(server.url, socket_timeout=5)
        self.token = secrets.token_urlsafe(24)
        self.admin.execute_command(
            "ACL", "SETUSER", IDENTITY, "on", f">{self.token}", "~*", "&*", "+@all"
        )
        self._write(self.token)

    def env(self) -> dict[str, str]:
        """The app's environment: Redis's address with the identity and its token of the
        moment, and the path of the file that always holds the current token."""
        url = f"redis://{IDENTITY}:{quote(self.token, safe='')}@127.0.0.1:{self.port}/0"
        return {"REDIS_URL": url, "REDIS_IDENTITY_FILE": str(self.file)}

    def rotate(self) -> int:
        """Issue a new token and revoke the old one; return how many sessions were closed."""
        old, self.token = self.token, secrets.token_urlsafe(24)
        self.admin.execute_command("ACL", "SETUSER", IDENTITY, f">{self.token}")
        self._write(self.token)
        self.admin.execute_command("ACL", "SETUSER", IDENTITY, f"<{old}")
        return self.admin.execute_command("CLIENT", "KILL", "USER", IDENTITY)

    def _write(self, token: str) -> None:
        """Replace the file in one step, as Kubernetes does with a projected token."""
        part = self.file.with_name(self.file.name + ".new")
        part.write_text(token + "\n")
        part.chmod(0o600)
        os.replace(part, self.file)

    def guests(self) -> set[str]:
        """Every name the app's Redis holds, read by the platform itself."""
        return {name.decode() for name in self.admin.lrange("entries", 0, -1)}


def sign_in(port: int, token: str) -> str:
    """Redis's own first line in answer to `AUTH guestbook <token>`: `+OK` or `-WRONGPASS ...`."""
    words = [b"AUTH", IDENTITY.encode(), token.encode()]
    command = b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(w), w) for w in words)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(command)
        return conn.makefile("rb").readline().decode().strip()


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


@claim(
    "identity-rotation",
    "Each time the platform rotates the app's Redis token under steady traffic (the new token "
    "written to the file, the old one revoked at Redis and its sessions closed), every request "
    "the bad app gets afterwards fails with a 503 until it is restarted with the new token in "
    "its environment; the good app answers every request, before, between and after two "
    "rotations, without a restart.",
)
def test_rotation_under_traffic(start_app, redis_servers, tmp_path, observe):
    """Send both twins steady traffic and rotate each one's token twice at its Redis; after each
    rotation restart only the bad twin, with the new token in its environment; then sort every
    request by the stretch of time it ran in."""
    platforms, apps, guests = {}, {}, {}
    for twin in ("bad", "good"):
        server = redis_servers(username="platform", password=secrets.token_hex(16))
        platforms[twin] = Platform(server, tmp_path / twin)
        apps[twin] = start_app(f"{EXAMPLE}/{twin}", env=platforms[twin].env())
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
            apps["bad"].env.update(platforms["bad"].env())
            apps["bad"].restart()
            marks.append(time.monotonic())
        time.sleep(1.0)
    marks.append(time.monotonic())

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
    observe(
        bad=f"before, between and after the {ROTATIONS} rotations: "
        f"{'; '.join(tally(s) for s in bad_serving)}; from each rotation until its restart "
        f"(Redis refused its token): {'; '.join(tally(r) for r in bad_refused)}",
        good=f"in the same stretches: {'; '.join(tally(s) for s in good_serving)}; and "
        f"{'; '.join(tally(r) for r in good_refused)}; "
        f"{len(good_all) - len(good_answered)} of {len(good_all)} requests failed, "
        f"{sum(c['good'] for c in closed)} Redis sessions closed by the rotations, no restart",
    )

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
    """What a leak of the running process hands over: the token in its environment, read from
    `/proc/<pid>/environ`, and the token in the file that environment names, by where found."""
    environ = Path(f"/proc/{app.pid}/environ")
    if not environ.exists():
        pytest.skip("reads a process's environment from /proc (Linux only)")
    variables = dict(
        entry.split("=", 1) for entry in environ.read_text().split("\0") if "=" in entry
    )
    found = {}
    if password := urlsplit(variables.get("REDIS_URL", "")).password:
        found["environment"] = unquote(password)
    if path := variables.get("REDIS_IDENTITY_FILE"):
        found["file"] = Path(path).read_text().strip()
    return found


def read_with(port: int, token: str) -> list[str]:
    """The guestbook as a stranger holding `token` reads it, without going through the app."""
    with redis.Redis(port=port, username=IDENTITY, password=token, socket_timeout=5) as thief:
        return [name.decode() for name in thief.lrange("entries", 0, -1)]


@claim(
    "identity-copied-token",
    "A token copied out of a running app, found both in its environment and in the file its "
    "environment names, opens the app's Redis until the platform rotates it; then Redis refuses "
    "it with WRONGPASS. After that rotation the good app is still served, while the bad app is "
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
        app = start_app(f"{EXAMPLE}/{twin}", env=platform.env())
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
        assert set(found) == {"environment", "file"} and len(set(found.values())) == 1
        assert read == [["Ada"]]
        assert refusals and all(r.startswith("-WRONGPASS") for r in refusals)
        assert REFUSED_ITSELF not in logs["before"]
    assert seen["bad"][4] == 503 and REFUSED_ITSELF in seen["bad"][6]["after"]
    assert seen["good"][4] == 201 and seen["good"][5].guests() == {"Ada", "Lin"}
    assert REFUSED_ITSELF not in seen["good"][6]["after"]
