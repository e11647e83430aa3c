"""Proofs for Factor IV: a local and a managed Redis are the same to the app: a URL."""

import secrets

import redis
import requests

from harness import claim

EXAMPLE = "backing-services/managed"


@claim(
    "managed-by-url",
    "Given the full URL form (user, password, database number), the good app moves from a local "
    "Redis to a managed one that requires a user and a password with nothing but a new URL; "
    "the bad app, built for host and port only, cannot sign in.",
)
def test_managed_redis_needs_only_a_new_url(start_app, redis_servers):
    """Start each twin against a local Redis with no password, then against a "managed" one
    that only lets user `app` in with a random password, database 5."""
    local = redis_servers()
    managed = redis_servers(username="app", password=secrets.token_urlsafe(16))
    managed_url = managed.url.removesuffix("/0") + "/5"

    answers = {}
    for twin in ("bad", "good"):
        for name, server, url in (("local", local, local.url), ("managed", managed, managed_url)):
            env = {"REDIS_URL": url, "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(server.port)}
            app = start_app(f"{EXAMPLE}/{twin}", env=env)
            sent = requests.post(f"{app.url}/notes", json={"text": f"{twin} {name}"}, timeout=5)
            answers[twin, name] = sent.status_code

    assert answers == {
        ("bad", "local"): 201,
        ("bad", "managed"): 503,
        ("good", "local"): 201,
        ("good", "managed"): 201,
    }
    with redis.Redis.from_url(managed_url) as database_5:
        assert database_5.lrange("notes", 0, -1) == [b"good managed"]
