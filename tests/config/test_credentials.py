"""Proofs for Factor III: credentials and service URLs written into the code vs read from config."""

import hashlib
import re
import secrets
from pathlib import Path

import pytest
import redis
import requests

from proven import claim
from proven.paths import EXAMPLES_DIR, copy_shipped, shipped_files

# The bad twin reaches Redis on a fixed port (6491): under -n auto, one proof at a time.
pytestmark = pytest.mark.lock("port-6491")

EXAMPLE = "config/credentials"
PRODUCTION_PORT = 6491
"""The port of the production Redis the bad twin was written for (unusual, so runs rarely meet)."""
PRODUCTION_PASSWORD = "correct-horse-battery-staple"
"""What the production Redis requires: ops know it, and so does anyone with the bad twin's code."""
REDIS_URL_IN_TEXT = re.compile(r"rediss?://[^\s\"']+")


def sign(url: str, name: str) -> None:
    """Sign the guestbook of the app at `url`."""
    answer = requests.post(f"{url}/entries", json={"name": name}, timeout=5)
    assert answer.status_code == 201, answer.text


def guests(server) -> list[str]:
    """The names a Redis server holds, read from the server itself."""
    with redis.Redis.from_url(server.url) as client:
        return [name.decode() for name in client.lrange("entries", 0, -1)]


def artifact(example: str, into: Path) -> Path:
    """A copy of the files of an example folder that git tracks: what a build ships everywhere.

    Not what running the example by hand left in its folder (`__pycache__/`).
    """
    return copy_shipped(EXAMPLES_DIR / example, into / example.replace("/", "-"))


def fingerprint(folder: Path) -> str:
    """One hash over every file of an artifact: equal hashes, unchanged files."""
    digest = hashlib.sha256()
    for path in shipped_files(folder):
        digest.update(path.relative_to(folder).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


@claim(
    "config-second-deploy",
    "An app with its Redis URL in the code writes to production even when deployed to staging, "
    "until someone edits the code; the same files of the good app, started twice with two "
    "environments, write to two different servers.",
)
def test_second_deploy_needs_a_code_change_only_in_bad(start_app, redis_servers, tmp_path, observe):
    """Deploy both twins to a staging environment whose REDIS_URL names its own server, see
    where the names land, then edit the bad twin's code for staging and try again."""
    production = redis_servers(port=PRODUCTION_PORT, password=PRODUCTION_PASSWORD)
    staging = redis_servers(password=secrets.token_hex(16))
    bad = artifact(f"{EXAMPLE}/bad", tmp_path)

    sign(start_app(bad, env={"REDIS_URL": staging.url}).url, "Ada")
    deployed = (guests(production), guests(staging))

    source = (bad / "app.py").read_text()
    edited = source.replace(production.url, staging.url)
    changed = [line for line in edited.splitlines() if line not in source.splitlines()]
    (bad / "app.py").write_text(edited)
    sign(start_app(bad, env={"REDIS_URL": staging.url}).url, "Lin")
    after_edit = (guests(production), guests(staging))

    good = artifact(f"{EXAMPLE}/good", tmp_path)
    shipped = fingerprint(good)
    sign(start_app(good, env={"REDIS_URL": production.url}).url, "Grace")
    sign(start_app(good, env={"REDIS_URL": staging.url}).url, "Hedy")
    landed = (guests(production)[1:], guests(staging)[1:])
    observe(
        bad=f"deployed to staging, 'Ada' landed in production {deployed[0]}, staging "
        f"{deployed[1]}; after editing {len(changed)} line of app.py, 'Lin' reached staging",
        good=f"unchanged files started twice: 'Grace' landed in production {landed[0]}, "
        f"'Hedy' in staging {landed[1]}",
    )

    assert deployed == (["Ada"], [])
    assert len(changed) == 1
    assert after_edit == (["Ada"], ["Lin"])
    assert (guests(production), guests(staging)) == (["Ada", "Grace"], ["Lin", "Hedy"])
    assert fingerprint(good) == shipped


def urls_in_files(folder: Path) -> list[str]:
    """Every Redis URL written in any file of an artifact: what a reader of the code finds."""
    found = []
    for path in shipped_files(folder):
        found += REDIS_URL_IN_TEXT.findall(path.read_text(errors="replace"))
    return found


@claim(
    "secret-in-source",
    "A password written into the code is readable by anyone who has the files, and it opens "
    "production's data to them; the good app's files hold neither a Redis URL nor the "
    "password it runs with.",
)
def test_password_in_the_files_opens_production(start_app, redis_servers, tmp_path, observe):
    """Run each twin against a password-protected Redis, then search the files it was deployed
    from for Redis URLs, and use what is found to read the server without the app."""
    production = redis_servers(port=PRODUCTION_PORT, password=PRODUCTION_PASSWORD)
    bad = artifact(f"{EXAMPLE}/bad", tmp_path)
    sign(start_app(bad).url, "Ada")

    leaked = urls_in_files(bad)
    with redis.Redis.from_url(leaked[0]) as stranger:
        read = stranger.lrange("entries", 0, -1)

    password = secrets.token_hex(16)
    protected = redis_servers(password=password)
    good = artifact(f"{EXAMPLE}/good", tmp_path)
    sign(start_app(good, env={"REDIS_URL": protected.url}).url, "Grace")
    found = urls_in_files(good)
    holding = [p.name for p in shipped_files(good) if password in p.read_text()]
    observe(
        bad=f"its files hold {len(leaked)} Redis URL with production's password; with it a "
        f"stranger read {[name.decode() for name in read]} from production",
        good=f"its files hold {len(found)} Redis URLs and {len(holding)} files contain the "
        f"password; it signed 'Grace' into the protected Redis",
    )

    assert leaked == [production.url]
    assert read == [b"Ada"]
    assert guests(protected) == ["Grace"]
    assert found == []
    assert holding == []
