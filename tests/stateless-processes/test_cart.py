"""Proofs for the cart: a session kept in process memory vs in Redis with an expiry."""

import time

import requests

from harness import claim, crash_under_traffic

EXAMPLE = "stateless-processes/cart"


def add_items(client: requests.Session, url: str, items: list[str]) -> None:
    """Put each item into the visitor's cart, keeping its cookie in `client`."""
    for item in items:
        assert client.post(f"{url}/cart/items", json={"item": item}, timeout=5).status_code == 201


def cart(client: requests.Session, url: str) -> list[str]:
    """The items the app answers for the visitor of `client`."""
    return client.get(f"{url}/cart", timeout=5).json()["items"]


@claim(
    "cart-restart",
    "A cart kept in a dictionary of the process is empty after a restart; "
    "a cart kept in Redis is still there.",
)
def test_restart_empties_the_memory_cart(start_app, redis_url):
    """Fill a cart on each twin, restart both, and ask for the cart with the same cookie."""
    bad = start_app(f"{EXAMPLE}/bad")
    good = start_app(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})
    shopper = requests.Session()
    add_items(shopper, bad.url, ["tea", "milk"])
    add_items(shopper, good.url, ["tea", "milk"])

    bad.restart()
    good.restart()

    assert cart(shopper, bad.url) == []
    assert cart(shopper, good.url) == ["tea", "milk"]


@claim(
    "cart-round-robin",
    "Behind a load balancer without sticky sessions, a cart kept in memory is split "
    "between the copies and each shows only part of it; a cart in Redis is whole on every copy.",
)
def test_round_robin_splits_the_memory_cart(start_copies, redis_url):
    """Add four items through a round-robin over two copies, then ask each copy for the cart."""
    bad = start_copies(f"{EXAMPLE}/bad")
    good = start_copies(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})
    items = ["tea", "milk", "bread", "jam"]

    for balancer in (bad, good):
        for item in items:
            balancer.post("/cart/items", json={"item": item})

    assert [bad.get("/cart").json()["items"] for _ in range(2)] == [
        ["tea", "bread"],
        ["milk", "jam"],
    ]
    assert [good.get("/cart").json()["items"] for _ in range(2)] == [items, items]


def items_after_kill_9(start_app, redis_url: str, twin: str) -> tuple[int, int]:
    """Items acknowledged around a kill -9, and the items the cart holds afterwards."""
    app = start_app(f"{EXAMPLE}/{twin}", env={"REDIS_URL": redis_url})
    shopper = requests.Session()
    add_items(shopper, app.url, ["first"])
    traffic = crash_under_traffic(
        app, lambda: shopper.post(f"{app.url}/cart/items", json={"item": "x"}, timeout=5)
    )
    return traffic.acknowledged + 1, len(cart(shopper, app.url))


@claim(
    "cart-kill-9",
    "When the process is killed with SIGKILL under traffic, a cart in Redis keeps every item "
    "the app acknowledged; a cart in memory loses all of them.",
)
def test_kill_9_keeps_acknowledged_items_only_in_redis(start_app, redis_url):
    """Keep adding items while the process is killed and restarted; count what remains."""
    bad_acknowledged, bad_kept = items_after_kill_9(start_app, redis_url, "bad")
    good_acknowledged, good_kept = items_after_kill_9(start_app, redis_url, "good")

    assert bad_kept < bad_acknowledged
    assert good_kept >= good_acknowledged > 1


@claim(
    "cart-expiry",
    "An abandoned cart in Redis expires after CART_TTL_SECONDS; "
    "one in a dictionary of the process stays in memory until the process dies.",
)
def test_abandoned_carts_expire_only_in_redis(start_app, redis_url):
    """Start both twins with a one-second expiry, fill a cart, wait two seconds, ask again."""
    env = {"REDIS_URL": redis_url, "CART_TTL_SECONDS": "1"}
    bad = start_app(f"{EXAMPLE}/bad", env=env)
    good = start_app(f"{EXAMPLE}/good", env=env)
    shopper = requests.Session()
    add_items(shopper, bad.url, ["tea"])
    add_items(shopper, good.url, ["tea"])

    time.sleep(2)

    assert cart(shopper, bad.url) == ["tea"]
    assert cart(shopper, good.url) == []
