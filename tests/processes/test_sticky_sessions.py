"""Proofs for Factor VI: sticky sessions, and scaling out a running formation."""

import requests

from harness import claim

EXAMPLE = "stateless-processes/cart"


def fill_cart(url: str) -> requests.Session:
    """A visitor who put two items in a cart through `url`."""
    shopper = requests.Session()
    for item in ("tea", "milk"):
        shopper.post(f"{url}/cart/items", json={"item": item}, timeout=5).raise_for_status()
    return shopper


@claim(
    "sticky-session-crash",
    "Sticky sessions only hide the problem: when the process a visitor sticks to crashes, "
    "the cart in its memory is gone; with the cart in Redis, the replacement still has it.",
)
def test_sticky_visitor_loses_cart_when_their_process_crashes(start_app, redis_url):
    """Pin a visitor to one process, fill a cart, kill -9 that process and start a new one."""
    for twin, expected in (("bad", []), ("good", ["tea", "milk"])):
        app = start_app(f"{EXAMPLE}/{twin}", env={"REDIS_URL": redis_url})
        shopper = fill_cart(app.url)

        app.crash_and_restart()

        assert shopper.get(f"{app.url}/cart", timeout=5).json()["items"] == expected


@claim(
    "scale-out-new-copy",
    "A copy started to add capacity serves existing visitors from its first request when "
    "sessions are shared; a new copy of the stateful app knows none of them.",
)
def test_new_copy_serves_existing_visitors(start_app, redis_url):
    """Fill a cart through one running copy, start a second copy, ask it for the cart."""
    for twin, expected in (("bad", []), ("good", ["tea", "milk"])):
        env = {"REDIS_URL": redis_url}
        shopper = fill_cart(start_app(f"{EXAMPLE}/{twin}", env=env).url)

        added = start_app(f"{EXAMPLE}/{twin}", env=env)

        assert shopper.get(f"{added.url}/cart", timeout=5).json()["items"] == expected
