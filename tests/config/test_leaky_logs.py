"""Proofs for Factor III: secrets in config stay out of logs and error answers."""

import secrets

import requests

from harness import claim

EXAMPLE = "config/leaky-logs"


@claim(
    "secrets-not-logged",
    "The good app never shows a password from its config, neither in its log nor in an error "
    "answer; the bad one prints it at start-up and sends it to clients when the store fails.",
)
def test_password_stays_out_of_logs_and_answers(start_app, redis_servers):
    """Run each twin against a Redis that requires a random password, sign the guestbook, kill
    the Redis, ask again, and search the log and both answers for the password."""
    for twin, leaks in (("bad", True), ("good", False)):
        password = secrets.token_hex(16)
        server = redis_servers(password=password)
        app = start_app(f"{EXAMPLE}/{twin}", env={"REDIS_URL": server.url})
        signed = requests.post(f"{app.url}/entries", json={"name": "Ada"}, timeout=5)
        server.kill()
        failed = requests.get(f"{app.url}/entries", timeout=5)

        assert (signed.status_code, failed.status_code) == (201, 503)
        assert "unavailable" in failed.json()["error"]
        seen = app.output() + signed.text + failed.text
        assert (password in seen) is leaks, seen
