"""Proofs for Factor IV: a local and a managed Redis are the same to the app: a URL."""

import secrets

import redis
import requests

from proven import claim

EXAMPLE = "backing-services/managed"
REFUSED = "note store unavailable: AuthenticationError"
"""The line the app logs when Redis refuses to let it sign in."""


def logged(app, text: str) -> bool:
    """Whether the app prints `text` within a few seconds (its log is written as it runs)."""
    try:
        app.wait_for_output(text, timeout=3)
    except AssertionError:
        return False
    return True


@claim(
    "managed-by-url",
    "Given the full URL form (user, password, database number), the good app moves from a local "
    "Redis to one that, like a managed Redis, requires a user and a password, with nothing but "
    "a new URL; the bad app, built for host and port only, works locally and cannot sign in to "
    "the managed one.",
)
def test_managed_redis_needs_only_a_new_url(start_app, redis_servers, observe):
    """Start each twin against a local Redis with no password, then against a "managed" one
    that only lets user `app` in with a random password, database 5."""
    local = redis_servers()
    managed = redis_servers(username="app", password=secrets.token_urlsafe(16))
    managed_url = managed.url.removesuffix("/0") + "/5"

    answers, logs = {}, {}
    for twin in ("bad", "good"):
        for name, server, url in (("local", local, local.url), ("managed", managed, managed_url)):
            env = {"REDIS_URL": url, "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(server.port)}
            app = start_app(f"{EXAMPLE}/{twin}", env=env)
            sent = requests.post(f"{app.url}/notes", json={"text": f"{twin} {name}"}, timeout=5)
            answers[twin, name] = sent.status_code
            logs[twin, name] = logged(app, REFUSED) if sent.status_code == 503 else False
    with redis.Redis.from_url(managed_url) as database_5:
        in_database_5 = database_5.lrange("notes", 0, -1)
    refused = logs["bad", "managed"]
    observe(
        bad=f"local Redis: {answers['bad', 'local']}; managed Redis: {answers['bad', 'managed']}"
        f"{', logged AuthenticationError' if refused else ''}",
        good=f"local Redis: {answers['good', 'local']}; managed Redis: "
        f"{answers['good', 'managed']}, database 5 holds {[n.decode() for n in in_database_5]}",
    )

    assert answers == {
        ("bad", "local"): 201,
        ("bad", "managed"): 503,
        ("good", "local"): 201,
        ("good", "managed"): 201,
    }
    assert refused
    assert in_database_5 == [b"good managed"]
