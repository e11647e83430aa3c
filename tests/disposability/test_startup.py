"""Proofs for Factor IX: start fast."""

import json
import time

import pytest
import redis
import requests

from proven import Lane, Timeline, claim

EXAMPLE = "disposability/startup"
PRODUCTS = 30_000


def seed_catalogue(url: str) -> None:
    """Put PRODUCTS products in Redis, as the catalogue of a small shop."""
    with redis.Redis.from_url(url) as store, store.pipeline(transaction=False) as load:
        for n in range(PRODUCTS):
            load.set(f"product:SKU-{n}", json.dumps({"name": f"item {n}", "price": n % 100}))
        load.execute()


def seconds_to_first_answer(start_app, twin: str, redis_url: str, lane: Lane) -> float:
    """Time from exec to the first successful answer for a product, both put on `lane`."""
    began = time.monotonic()
    lane.start(at=began)
    lane.event("exec", at=began)
    app = start_app(
        f"{EXAMPLE}/{twin}",
        env={"REDIS_URL": redis_url},
        ready_path="/products/SKU-7",
        start_timeout=90,
    )
    answer = requests.get(f"{app.url}/products/SKU-7", timeout=5)
    elapsed = time.monotonic() - began
    lane.request("answered")
    lane.read(f"first answer: {elapsed:.1f} s")
    assert answer.json() == {"sku": "SKU-7", "name": "item 7", "price": 7}
    return elapsed


@claim(
    "fast-startup",
    "An app that warms a cache of all 30,000 products before serving takes at least three "
    "times longer from exec to its first answer than the same app reading products on demand.",
)
@pytest.mark.alone  # compares the timings of two runs: no other test runs meanwhile
def test_warming_a_cache_at_start_up_makes_start_up_slow(start_app, redis_url, observe):
    """Seed 30,000 products in Redis, start each twin, time exec to the first good answer.

    Both times are measured on the same machine in the same run, so the proof
    compares them with each other, never with a fixed number of seconds.
    """
    seed_catalogue(redis_url)

    timeline = Timeline({"answered": "first answer for a product"})
    bad = seconds_to_first_answer(start_app, "bad", redis_url, timeline.bad)
    good = seconds_to_first_answer(start_app, "good", redis_url, timeline.good)
    observe(
        bad=f"{bad:.1f} s from exec to its first answer, {bad / good:.1f} times the good twin's",
        good=f"{good:.1f} s from exec to its first answer",
        timeline=timeline,
    )

    assert bad >= 3 * good
