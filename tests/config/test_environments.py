"""Proofs for Factor III: config grouped into named environments vs independent variables."""

import redis
import requests

from proven import claim, run_to_exit
from proven.paths import EXAMPLES_DIR, copy_shipped

EXAMPLE = "config/environments"


def guests(url: str) -> list[str]:
    """The names a Redis server holds, read from the server itself."""
    with redis.Redis.from_url(url) as client:
        return [name.decode() for name in client.lrange("entries", 0, -1)]


@claim(
    "config-new-deploy",
    "With config grouped into named environments in the code, a new deploy cannot start until "
    "someone adds a group to the code; with independent variables it needs no change at all.",
)
def test_new_deploy_needs_code_only_with_named_groups(start_app, redis_servers, tmp_path, observe):
    """Start both twins for a new "demo" deploy with its own Redis, then add a "demo" group to
    the bad twin's code and start it again."""
    demo = redis_servers()
    env = {"APP_ENV": "demo", "REDIS_URL": demo.url, "GUESTBOOK_OPEN": "yes"}
    bad = copy_shipped(EXAMPLES_DIR / EXAMPLE / "bad", tmp_path / "bad")

    refused = run_to_exit(bad, env=env)

    source = (bad / "app.py").read_text()
    group = f'    "demo": {{"REDIS_URL": "{demo.url}", "GUESTBOOK_OPEN": True}},\n'
    edited_source = source.replace("ENVIRONMENTS = {\n", "ENVIRONMENTS = {\n" + group)
    (bad / "app.py").write_text(edited_source)
    edited = start_app(bad, env=env)
    bad_signed = requests.post(f"{edited.url}/entries", json={"name": "Ada"}, timeout=5)

    good_source = (EXAMPLES_DIR / EXAMPLE / "good" / "app.py").read_text()
    good = start_app(EXAMPLES_DIR / EXAMPLE / "good", env=env)
    good_signed = requests.post(f"{good.url}/entries", json={"name": "Grace"}, timeout=5)
    added = len(edited_source.splitlines()) - len(source.splitlines())
    observe(
        bad=f"demo deploy refused to start (exit {refused.code}); after adding {added} line "
        f"to the code it signed: {bad_signed.status_code}",
        good=f"demo deploy started from unchanged files and signed: {good_signed.status_code}",
    )

    assert refused.code not in (None, 0)
    assert "APP_ENV must be one of development, staging, production" in refused.output
    assert bad_signed.status_code == 201
    assert good_signed.status_code == 201
    assert (EXAMPLES_DIR / EXAMPLE / "good" / "app.py").read_text() == good_source
    assert guests(demo.url) == ["Ada", "Grace"]
