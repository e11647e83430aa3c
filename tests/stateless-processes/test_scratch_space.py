"""Proofs for scratch space: disk used within one request vs relied on by the next."""

import requests

from proven import claim

EXAMPLE = "stateless-processes/scratch-space"
SALES = b"tea,2.50\nmilk,1.20\nbread,3.10\n"


def files_on_disk(app) -> list[str]:
    """Every file under the process's working directory, its temp folder included."""
    return sorted(p.relative_to(app.disk).as_posix() for p in app.disk.rglob("*") if p.is_file())


@claim(
    "scratch-cleaned-up",
    "Scratch files used inside one request are deleted before it answers: after each of 20 "
    "reports the process's disk is as empty as at start, where the bad twin has left one "
    "file per report behind.",
)
def test_scratch_files_do_not_outlive_the_request(start_app, redis_url, observe):
    """Create 20 reports on each twin, listing the files on each process's disk after each.

    The good twin writes its scratch file in the temp folder the harness gives
    it (`TMPDIR`): that folder's modification time shows a scratch folder was
    made and removed there.
    """
    bad = start_app(f"{EXAMPLE}/bad")
    good = start_app(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})
    temp = good.disk / "tmp"
    temp_touched_at = temp.stat().st_mtime_ns
    left: dict[str, list[int]] = {"bad": [], "good": []}
    report_ids: dict[str, list[str]] = {"bad": [], "good": []}
    for twin, app in (("bad", bad), ("good", good)):
        for _ in range(20):
            response = requests.post(f"{app.url}/reports", data=SALES, timeout=5)
            assert response.status_code == 201 and response.json()["total"] == 6.8
            report_ids[twin].append(response.json()["id"])
            left[twin].append(len(files_on_disk(app)))
    temp_used = temp.stat().st_mtime_ns != temp_touched_at
    observe(
        bad=f"files left on its disk: {left['bad'][0]} after the first report, "
        f"{left['bad'][-1]} after the 20th",
        good=f"files on its disk after each of 20 reports: {max(left['good'])}; its temp folder "
        f"was {'written to and emptied' if temp_used else 'never written to'}",
    )

    assert files_on_disk(bad) == sorted(
        f"scratch/{report_id}.csv" for report_id in report_ids["bad"]
    )
    assert left["bad"] == list(range(1, 21))
    assert temp_used
    assert left["good"] == [0] * 20


@claim(
    "scratch-next-request",
    "The next request may reach another process: a report whose upload was kept on one "
    "process's disk is not found through the other copy, while a report stored in Redis is "
    "found through both.",
)
def test_next_request_does_not_rely_on_scratch(start_copies, redis_url, observe):
    """Create a report through one of two copies; read it through the other, then the first."""
    bad = start_copies(f"{EXAMPLE}/bad")
    good = start_copies(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})

    statuses = {}
    for twin, balancer in (("bad", bad), ("good", good)):
        created = balancer.post("/reports", data=SALES)
        assert created.status_code == 201
        report_id = created.json()["id"]
        statuses[twin] = [balancer.get(f"/reports/{report_id}") for _ in range(2)]
    observe(
        bad=f"report made through the first copy; the second answered "
        f"{statuses['bad'][0].status_code}, the first {statuses['bad'][1].status_code}",
        good=f"report made through the first copy; the second answered "
        f"{statuses['good'][0].status_code}, the first {statuses['good'][1].status_code}",
    )

    assert [answer.status_code for answer in statuses["bad"]] == [404, 200]
    assert [answer.status_code for answer in statuses["good"]] == [200, 200]
    assert [answer.json()["total"] for answer in statuses["good"]] == [6.8, 6.8]
