"""Proofs for the cart: a session kept in process memory vs in Redis with an expiry."""

import json
import time

import requests

from proven import Lane, Timeline, claim, crash_under_traffic

EXAMPLE = "stateless-processes/cart"
TTL = 3
"""CART_TTL_SECONDS in the expiry proof."""


def add_items(client: requests.Session, url: str, items: list[str]) -> list[str]:
    """Put each item into the visitor's cart, keeping its cookie in `client`.

    Returns the cart the app answered to the last one.
    """
    answered: list[str] = []
    for item in items:
        response = client.post(f"{url}/cart/items", json={"item": item}, timeout=5)
        assert response.status_code == 201
        answered = response.json()["items"]
    return answered


def cart(client: requests.Session, url: str) -> list[str]:
    """The items the app answers for the visitor of `client`."""
    return client.get(f"{url}/cart", timeout=5).json()["items"]


def fill_restart_read(app, shopper: requests.Session, lane: Lane) -> tuple[list[str], list[str]]:
    """Add tea and milk, restart the process, read the cart with the same cookie.

    Returns the cart answered to the last item and the cart read after the
    restart. On `lane`: each item, kept when that cart still holds it; the
    restart and the read.
    """
    added = []
    for item in ["tea", "milk"]:
        before = add_items(shopper, app.url, [item])
        added.append((item, time.monotonic()))
    lane.event("restart")
    app.restart()
    after = cart(shopper, app.url)
    lane.read(f"cart: {', '.join(after) or 'empty'}")
    for item, at in added:
        lane.request("kept" if item in after else "lost", at=at)
    return before, after


@claim(
    "cart-restart",
    "A cart kept in a dictionary of the process is empty after a restart; "
    "a cart kept in Redis is still there.",
)
def test_restart_empties_the_memory_cart(start_app, redis_url, observe):
    """Fill a cart on each twin, restart both, and ask for the cart with the same cookie."""
    bad = start_app(f"{EXAMPLE}/bad")
    good = start_app(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})
    shopper = requests.Session()
    timeline = Timeline({"kept": "item still in the cart", "lost": "item lost"})
    bad_before, bad_after = fill_restart_read(bad, shopper, timeline.bad)
    good_before, good_after = fill_restart_read(good, shopper, timeline.good)
    observe(
        bad=f"cart before the restart: {', '.join(bad_before)}; after it, with the same "
        f"cookie: {', '.join(bad_after) or 'empty'}",
        good=f"cart before the restart: {', '.join(good_before)}; after it, with the same "
        f"cookie: {', '.join(good_after) or 'empty'}",
        timeline=timeline,
    )

    assert bad_before == good_before == ["tea", "milk"]
    assert bad_after == []
    assert good_after == ["tea", "milk"]


@claim(
    "cart-round-robin",
    "Behind a round-robin load balancer without sticky sessions, a cart kept in memory is "
    "split between the copies and each shows only part of it; a cart in Redis is whole on "
    "every copy.",
)
def test_round_robin_splits_the_memory_cart(start_copies, redis_url, observe):
    """Add four items through a round-robin over two copies, then ask each copy for the cart."""
    bad = start_copies(f"{EXAMPLE}/bad")
    good = start_copies(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})
    items = ["tea", "milk", "bread", "jam"]

    for balancer in (bad, good):
        for item in items:
            assert balancer.post("/cart/items", json={"item": item}).status_code == 201
    bad_carts = [bad.get("/cart").json()["items"] for _ in range(2)]
    good_carts = [good.get("/cart").json()["items"] for _ in range(2)]
    observe(
        bad=f"added {', '.join(items)}; the first copy shows {', '.join(bad_carts[0])}, the "
        f"second {', '.join(bad_carts[1])}",
        good=f"added the same; the first copy shows {', '.join(good_carts[0])}, the second "
        f"{', '.join(good_carts[1])}",
    )

    assert bad_carts == [["tea", "bread"], ["milk", "jam"]]
    assert good_carts == [items, items]


def item_of(response: requests.Response) -> str:
    """The item an acknowledged `POST /cart/items` added, read from the request itself."""
    return json.loads(response.request.body)["item"]


def kill_9_while_shopping(start_app, redis_url: str, twin: str, lane: Lane):
    """Add numbered items while the process is killed with SIGKILL and started again.

    Returns the items acknowledged before the kill (the first one included),
    those acknowledged in between (sent while the app was killed and started
    again), those acknowledged after the restart, every item whose request had
    not ended when the kill started, and the cart the app holds afterwards. On
    `lane`: each item, kept when the cart read afterwards holds it; the kill,
    the restart and the read.
    """
    app = start_app(f"{EXAMPLE}/{twin}", env={"REDIS_URL": redis_url})
    shopper = requests.Session()
    add_items(shopper, app.url, ["item-0"])  # the cookie every later request sends
    first_at = time.monotonic()
    names: list[str] = []  # names[i] is the item of crash.traffic.sent[i]

    def add() -> requests.Response:
        names.append(f"item-{len(names) + 1}")
        return shopper.post(f"{app.url}/cart/items", json={"item": names[-1]}, timeout=5)

    crash = crash_under_traffic(app, add)
    assert len(names) == len(crash.traffic.sent)
    before = {"item-0"} | {item_of(response) for response in crash.before}
    after = {item_of(response) for response in crash.after}
    between = {item_of(response) for response in crash.acknowledged} - before - after
    since = {
        name
        for name, sent in zip(names, crash.traffic.sent, strict=True)
        if sent.finished >= crash.killed_at
    }
    held = cart(shopper, app.url)
    lane.read(f"cart: {len(held)} items")
    lane.request("kept" if "item-0" in held else "lost", at=first_at)
    for name, sent in zip(names, crash.traffic.sent, strict=True):
        fate = "kept" if name in held else "lost"
        lane.request(fate if sent.acknowledged else "failed", at=sent.finished)
    lane.event("kill -9", at=crash.killed_at)
    lane.event("restarted", at=crash.restarted_at)
    return before, between, after, since, held


@claim(
    "cart-kill-9",
    "When the process is killed with SIGKILL under traffic, a cart in Redis keeps every item "
    "the app acknowledged, before the kill and after it; a cart in memory loses every item "
    "acknowledged before the kill and holds only items added since.",
)
def test_kill_9_keeps_acknowledged_items_only_in_redis(start_app, redis_url, observe):
    """Keep adding numbered items while the process is killed and restarted; read the cart.

    Each item has its own name, so the proof checks each acknowledged item by
    name: those acknowledged before the kill, in between, and after the restart.
    """
    timeline = Timeline({"kept": "item in the cart", "lost": "item lost"})
    bad_before, _, bad_after, bad_since, bad_cart = kill_9_while_shopping(
        start_app, redis_url, "bad", timeline.bad
    )
    good_before, good_between, good_after, _, good_cart = kill_9_while_shopping(
        start_app, redis_url, "good", timeline.good
    )
    kept = set(bad_cart), set(good_cart)
    observe(
        bad=f"kept {len(bad_before & kept[0])} of {len(bad_before)} items acknowledged before "
        f"the kill and {len(bad_after & kept[0])} of {len(bad_after)} after the restart",
        good=f"kept {len(good_before & kept[1])} of {len(good_before)} items acknowledged "
        f"before the kill, {len(good_between & kept[1])} of {len(good_between)} in between "
        f"and {len(good_after & kept[1])} of {len(good_after)} after the restart",
        timeline=timeline,
    )

    assert len(bad_before) > 1 and bad_after and len(good_before) > 1 and good_after
    # In memory: not one item acknowledged before the kill is left; the cart holds the
    # items the new process acknowledged, and nothing that was not sent after the kill.
    assert bad_before & kept[0] == set()
    assert bad_after <= kept[0] <= bad_since
    # In Redis: every item acknowledged before the kill, in between and after, is there.
    assert good_before <= kept[1]
    assert good_between <= kept[1]
    assert good_after <= kept[1]


@claim(
    "cart-expiry",
    "An abandoned cart in Redis is gone once CART_TTL_SECONDS have passed since its last "
    "item was added, and each item added starts the wait again; one in a dictionary of the "
    "process is still there after the same waits.",
)
def test_abandoned_carts_expire_only_in_redis(start_app, redis_url, observe):
    """With a three-second expiry: add an item, wait 2 s, add another, wait 2 s, read the
    cart (4 s since the first item, 2 s since the last), wait 1.5 s more and read it again."""
    env = {"REDIS_URL": redis_url, "CART_TTL_SECONDS": str(TTL)}
    bad = start_app(f"{EXAMPLE}/bad", env=env)
    good = start_app(f"{EXAMPLE}/good", env=env)
    shoppers = {"bad": (bad, requests.Session()), "good": (good, requests.Session())}
    for app, shopper in shoppers.values():
        add_items(shopper, app.url, ["tea"])
    time.sleep(2)
    added = {
        twin: add_items(shopper, app.url, ["milk"]) for twin, (app, shopper) in shoppers.items()
    }
    time.sleep(2)
    within = {twin: cart(shopper, app.url) for twin, (app, shopper) in shoppers.items()}
    time.sleep(1.5)
    past = {twin: cart(shopper, app.url) for twin, (app, shopper) in shoppers.items()}

    def told(twin: str) -> str:
        return (
            f"CART_TTL_SECONDS={TTL}; cart {', '.join(added[twin])}; 4 s after the first item "
            f"and 2 s after the last: {', '.join(within[twin]) or 'empty'}; 3.5 s after the "
            f"last: {', '.join(past[twin]) or 'empty'}"
        )

    observe(bad=told("bad") + " (the expiry is ignored)", good=told("good"))

    assert added == {"bad": ["tea", "milk"], "good": ["tea", "milk"]}
    assert within == {"bad": ["tea", "milk"], "good": ["tea", "milk"]}
    assert past == {"bad": ["tea", "milk"], "good": []}
