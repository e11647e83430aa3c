"""Proofs for Factor VI: sticky sessions, and scaling out a running formation."""

import time

import requests

from proven import Timeline, claim

EXAMPLE = "stateless-processes/cart"
ITEMS = ["tea", "milk"]


def fill_cart(
    url: str, items: list[str] = ITEMS, added: dict[str, float] | None = None
) -> requests.Session:
    """A visitor who put `items` in a cart through `url`; `added` gets each one's answer time."""
    shopper = requests.Session()
    for item in items:
        shopper.post(f"{url}/cart/items", json={"item": item}, timeout=5).raise_for_status()
        if added is not None:
            added[item] = time.monotonic()
    return shopper


@claim(
    "sticky-session-crash",
    "Sticky sessions only hide the problem: behind a load balancer that pins each visitor to "
    "one of two processes, a cart kept in process memory works until that process is killed; "
    "the balancer then sends the visitor to the other process, where the cart is empty. With "
    "the cart in Redis, the other process serves the whole cart.",
)
def test_sticky_visitor_loses_cart_when_their_process_crashes(
    start_app, sticky_balancer, redis_url, observe
):
    """Run two copies behind a cookie-affinity balancer, fill a cart, kill -9 the pinned copy.

    The balancer records which copy served each request: the proof checks that
    the visitor stayed on one copy while it lived, then was sent to the other.
    """
    seen = {}
    timeline = Timeline({"kept": "item still in the cart", "lost": "item lost"})
    for twin in ("bad", "good"):
        copies = [start_app(f"{EXAMPLE}/{twin}", env={"REDIS_URL": redis_url}) for _ in range(2)]
        balancer = sticky_balancer(copies)
        added, lane = {}, getattr(timeline, twin)
        shopper = fill_cart(balancer.url, added=added)
        while_pinned = shopper.get(f"{balancer.url}/cart", timeout=5).json()["items"]
        lane.read(f"cart: {', '.join(while_pinned)}")
        route = [sent.backend for sent in balancer.routed]
        pins = [sent.pinned for sent in balancer.routed]

        lane.event("kill -9 of the pinned copy")
        copies[route[0]].kill()
        after_crash = shopper.get(f"{balancer.url}/cart", timeout=5).json()["items"]
        lane.read(f"cart: {', '.join(after_crash) or 'empty'}")
        for item, at in added.items():
            lane.request("kept" if item in after_crash else "lost", at=at)
        seen[twin] = route, pins, while_pinned, balancer.routed[-1], after_crash

    bad, good = seen["bad"], seen["good"]
    observe(
        bad=f"pinned to one copy for all {len(bad[0])} requests, cart {bad[2]}; after kill -9 "
        f"of that copy the other copy answered {bad[4]}",
        good=f"pinned to one copy for all {len(good[0])} requests, cart {good[2]}; after kill -9 "
        f"of that copy the other copy answered {good[4]}",
        timeline=timeline,
    )

    for route, pins, while_pinned, redispatched, _ in (bad, good):
        # Affinity took part: the first request was placed, the next ones followed the cookie
        # to the same copy, and the cart was whole there, even in memory.
        assert len(set(route)) == 1 and pins == [False, True, True]
        assert while_pinned == ITEMS
        # After the crash, the balancer sent the visitor to the other copy.
        assert redispatched.pinned and redispatched.backend != route[0]
    assert bad[4] == []
    assert good[4] == ITEMS


@claim(
    "scale-out-new-copy",
    "A copy started to add capacity serves existing visitors from their first request to it "
    "when sessions are shared; a new copy of the stateful app knows none of them.",
)
def test_new_copy_serves_existing_visitors(start_app, redis_url, observe):
    """Three visitors fill carts through one running copy; a second copy starts; ask it."""
    carts = [["tea", "milk"], ["bread"], ["jam", "eggs", "salt"]]
    seen = {}
    for twin in ("bad", "good"):
        env = {"REDIS_URL": redis_url}
        running = start_app(f"{EXAMPLE}/{twin}", env=env)
        shoppers = [fill_cart(running.url, items) for items in carts]

        added = start_app(f"{EXAMPLE}/{twin}", env=env)
        seen[twin] = [s.get(f"{added.url}/cart", timeout=5).json()["items"] for s in shoppers]

    def told(answers: list[list[str]]) -> str:
        known = sum(answer == cart for answer, cart in zip(answers, carts, strict=True))
        return f"the new copy knew {known} of 3 visitors' carts: answered {answers}"

    observe(bad=told(seen["bad"]), good=told(seen["good"]))

    assert seen["bad"] == [[], [], []]
    assert seen["good"] == carts
