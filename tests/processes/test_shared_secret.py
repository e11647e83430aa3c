"""Proofs for Factor VI: even a random signing key is state a process must not own."""

import secrets

from harness import claim

EXAMPLE = "processes/shared-secret"


@claim(
    "shared-secret",
    "A signing key each process generates at start-up is private state: a visitor signed in "
    "by one copy is a stranger to the next; with the key from config, every copy knows them.",
)
def test_random_signing_key_signs_visitors_out(start_copies):
    """Sign in through the first of two copies, then ask the second who is signed in."""
    env = {"SECRET_KEY": secrets.token_hex(32)}
    bad = start_copies(f"{EXAMPLE}/bad")
    good = start_copies(f"{EXAMPLE}/good", env=env)

    for balancer in (bad, good):
        assert balancer.post("/login", json={"user": "ada"}).status_code == 200

    assert bad.get("/me").status_code == 401
    assert good.get("/me").json() == {"user": "ada"}
