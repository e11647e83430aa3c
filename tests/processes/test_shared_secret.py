"""Proofs for Factor VI: even a random signing key is state a process must not own."""

import secrets

import requests

from proven import claim

EXAMPLE = "processes/shared-secret"


def who(session: requests.Session, url: str) -> int:
    """The status `GET /me` answers this visitor on one process: 200 known, 401 a stranger."""
    return session.get(f"{url}/me", timeout=5).status_code


@claim(
    "shared-secret",
    "A signing key each process generates at start-up is private state: a visitor signed in "
    "by one copy is a stranger to the other, and to the same copy once it restarts; with the "
    "key from config, every copy knows them, restarted or not.",
)
def test_random_signing_key_signs_visitors_out(start_app, observe):
    """Sign in through the first of two copies, ask both who is signed in, restart the first."""
    env = {"SECRET_KEY": secrets.token_hex(32)}
    seen = {}
    for twin in ("bad", "good"):
        first, other = (start_app(f"{EXAMPLE}/{twin}", env=env) for _ in range(2))
        visitor = requests.Session()
        signed_in = visitor.post(f"{first.url}/login", json={"user": "ada"}, timeout=5)
        assert signed_in.status_code == 200
        answers = [who(visitor, first.url), who(visitor, other.url)]
        first.restart()
        seen[twin] = [*answers, who(visitor, first.url)]

    def told(answers: list[int]) -> str:
        named = ("the copy that signed her in", "the other copy", "that copy after a restart")
        return "; ".join(
            f"{name} answered {code}" for name, code in zip(named, answers, strict=True)
        )

    observe(bad=told(seen["bad"]), good=told(seen["good"]))

    assert seen["bad"] == [200, 401, 401]
    assert seen["good"] == [200, 200, 200]
