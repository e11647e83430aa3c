"""Proofs for Factor X: a cache in process memory on the laptop is not Redis in production."""

import redis

from harness import claim

EXAMPLE = "dev-prod-parity/cache"
ANSWER = {"below": 1_000_000, "primes": 78498}


def ask_each_copy(balancer) -> list[object]:
    """Ask both copies, one after the other, the same question: its status, or its answer."""
    responses = [balancer.get("/primes?below=1000000") for _ in balancer.apps]
    return [r.json() if r.ok else r.status_code for r in responses]


@claim(
    "cache-dict-vs-redis",
    "A cache in process memory on the laptop and Redis in production are different tools: on "
    "the laptop every request works and no process sees another's answers; in production the "
    "answer one process cached breaks the next process's request. With Redis on the laptop "
    "too, both environments answer alike.",
)
def test_in_process_cache_in_dev_hides_what_redis_does_in_prod(
    start_copies, redis_url, redis_servers
):
    """Run two copies of each app, as on a laptop and as in production, and ask each copy in
    turn for the primes below 1,000,000."""
    laptop_redis = redis_servers()
    bad_laptop = start_copies(f"{EXAMPLE}/bad")
    bad_prod = start_copies(f"{EXAMPLE}/bad", env={"REDIS_URL": redis_url})
    bad_answers = {"laptop": ask_each_copy(bad_laptop), "prod": ask_each_copy(bad_prod)}
    redis.Redis.from_url(redis_url).flushdb()
    good_laptop = start_copies(f"{EXAMPLE}/good", env={"REDIS_URL": laptop_redis.url})
    good_prod = start_copies(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})
    good_answers = {"laptop": ask_each_copy(good_laptop), "prod": ask_each_copy(good_prod)}

    assert bad_answers == {
        "laptop": [{**ANSWER, "cached": False}, {**ANSWER, "cached": False}],
        "prod": [{**ANSWER, "cached": False}, 500],
    }
    assert "Object of type bytes is not JSON serializable" in bad_prod.apps[1].output()
    cached_once = [{**ANSWER, "cached": False}, {**ANSWER, "cached": True}]
    assert good_answers == {"laptop": cached_once, "prod": cached_once}
