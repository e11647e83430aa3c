"""Proofs for scratch space: disk used within one request vs relied on by the next."""

import requests

from harness import claim

EXAMPLE = "stateless-processes/scratch-space"
SALES = b"tea,2.50\nmilk,1.20\nbread,3.10\n"


def files_on_disk(app) -> list[str]:
    """Every file under the process's working directory, its temp folder included."""
    return sorted(str(p.relative_to(app.disk)) for p in app.disk.rglob("*") if p.is_file())


@claim(
    "scratch-cleaned-up",
    "Scratch files used inside one request are deleted before it answers: after 20 reports "
    "the process's disk is as empty as at start, where the bad twin has left 20 files behind.",
)
def test_scratch_files_do_not_outlive_the_request(start_app, redis_url):
    """Create 20 reports on each twin, then list the files left on each process's disk."""
    bad = start_app(f"{EXAMPLE}/bad")
    good = start_app(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})
    for app in (bad, good):
        for _ in range(20):
            response = requests.post(f"{app.url}/reports", data=SALES, timeout=5)
            assert response.json()["total"] == 6.8

    assert len(files_on_disk(bad)) == 20
    assert files_on_disk(good) == []


@claim(
    "scratch-next-request",
    "The next request may reach another process: a report whose upload was kept on one "
    "process's disk is missing there, while a report stored in Redis is found by every copy.",
)
def test_next_request_does_not_rely_on_scratch(start_copies, redis_url):
    """Create a report through one of two copies, then read it through the other."""
    bad = start_copies(f"{EXAMPLE}/bad")
    good = start_copies(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})

    for balancer, expected in ((bad, 404), (good, 200)):
        report = balancer.post("/reports", data=SALES).json()
        assert balancer.get(f"/reports/{report['id']}").status_code == expected
