"""Proofs for Factor III: secrets in config stay out of logs and error answers."""

import secrets

import requests

from proven import claim

EXAMPLE = "config/leaky-logs"


@claim(
    "secrets-not-logged",
    "The good app shows the password from its config neither in its log nor in its answers "
    "to a signature and to a read while the store is down; the bad one prints it at start-up "
    "and sends it to clients when the store fails.",
)
def test_password_stays_out_of_logs_and_answers(start_app, redis_servers, observe):
    """Run each twin against a Redis that requires a random password, sign the guestbook, kill
    the Redis, ask again, and search the log and both answers for the password."""
    seen = {}
    for twin in ("bad", "good"):
        password = secrets.token_hex(16)
        server = redis_servers(password=password)
        app = start_app(f"{EXAMPLE}/{twin}", env={"REDIS_URL": server.url})
        started = app.output()
        signed = requests.post(f"{app.url}/entries", json={"name": "Ada"}, timeout=5)
        server.kill()
        failed = requests.get(f"{app.url}/entries", timeout=5)
        places = {"start-up log": started, "log": app.output(), "answer": signed.text}
        places["error answer"] = failed.text
        seen[twin] = (signed, failed, [where for where, text in places.items() if password in text])
    (bad_signed, bad_failed, bad_leaks), (good_signed, good_failed, good_leaks) = seen.values()
    observe(
        bad=f"store failed, answered {bad_failed.status_code}; password found in: "
        f"{', '.join(bad_leaks) or 'nowhere'}",
        good=f"store failed, answered {good_failed.status_code}; password found in: "
        f"{', '.join(good_leaks) or 'nowhere'} (log, answers and error answer searched)",
    )

    for signed, failed in ((bad_signed, bad_failed), (good_signed, good_failed)):
        assert (signed.status_code, failed.status_code) == (201, 503)
        assert "unavailable" in failed.json()["error"]
    assert {"start-up log", "error answer"} <= set(bad_leaks)
    assert good_leaks == []
