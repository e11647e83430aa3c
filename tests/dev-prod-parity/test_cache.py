"""Proofs for Factor X: a cache in process memory on the laptop is not Redis in production."""

import redis

from proven import claim

EXAMPLE = "dev-prod-parity/cache"
ANSWER = {"below": 1_000_000, "primes": 78498}
MISS, HIT = {**ANSWER, "cached": False}, {**ANSWER, "cached": True}


def ask_in_turn(balancer) -> list[object]:
    """Ask the same question three times, round-robin over two copies (first, second, first):
    each answer, or its status when it is not 200."""
    responses = [balancer.get("/primes?below=1000000") for _ in range(3)]
    return [r.json() if r.ok else r.status_code for r in responses]


def summary(answers: list[object]) -> str:
    """The three answers in a few words: "computed", "from the cache", or the status."""
    words = [(MISS, "computed"), (HIT, "from the cache")]
    return ", ".join(
        next((word for seen, word in words if seen == answer), str(answer)) for answer in answers
    )


@claim(
    "cache-dict-vs-redis",
    "A cache in process memory on the laptop and Redis in production are different tools: on "
    "the laptop every request works and each process caches only for itself; in production, "
    "once one process has cached an answer, the next requests for it fail with a 500, on the "
    "other process and on the same one. With Redis on the laptop too, both environments "
    "answer alike.",
)
def test_in_process_cache_in_dev_hides_what_redis_does_in_prod(
    start_copies, redis_url, redis_servers, observe
):
    """Run two copies of each app, as on a laptop and as in production, and ask the copies in
    turn (first, second, first) for the primes below 1,000,000."""
    laptop_redis = redis_servers()
    bad_laptop = start_copies(f"{EXAMPLE}/bad")
    bad_prod = start_copies(f"{EXAMPLE}/bad", env={"REDIS_URL": redis_url})
    bad = {"laptop": ask_in_turn(bad_laptop), "prod": ask_in_turn(bad_prod)}
    bytes_error = [
        "Object of type bytes is not JSON serializable" in copy.output() for copy in bad_prod.apps
    ]
    redis.Redis.from_url(redis_url).flushdb()
    good_laptop = start_copies(f"{EXAMPLE}/good", env={"REDIS_URL": laptop_redis.url})
    good_prod = start_copies(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})
    good = {"laptop": ask_in_turn(good_laptop), "prod": ask_in_turn(good_prod)}
    observe(
        bad=f"laptop (a dict each): {summary(bad['laptop'])}; production (Redis): "
        f"{summary(bad['prod'])}",
        good=f"laptop (Redis): {summary(good['laptop'])}; production (Redis): "
        f"{summary(good['prod'])}",
    )

    assert bad == {"laptop": [MISS, MISS, HIT], "prod": [MISS, 500, 500]}
    assert bytes_error == [True, True]
    assert good == {"laptop": [MISS, HIT, HIT], "prod": [MISS, HIT, HIT]}
