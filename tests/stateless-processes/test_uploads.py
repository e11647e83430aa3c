"""Proofs for uploads: files on the local disk of one process vs in a backing service."""

import time

import requests

from proven import Lane, Timeline, claim, crash_under_traffic

EXAMPLE = "stateless-processes/uploads"
PHOTO = bytes(range(256)) * 40


def download(url: str, name: str) -> bytes | None:
    """The bytes the app serves as file `name`, or None when it answers otherwise."""
    response = requests.get(f"{url}/files/{name}", timeout=5)
    return response.content if response.status_code == 200 else None


def upload_restart_download(app, lane: Lane) -> tuple[bytes | None, bytes | None]:
    """Upload photo.png, download it, restart the process on a fresh disk, download it again.

    Returns both downloads. On `lane`: the upload, kept when the second
    download is the same bytes; each download; the restart.
    """
    assert requests.put(f"{app.url}/files/photo.png", data=PHOTO, timeout=5).status_code == 201
    uploaded_at = time.monotonic()
    served = download(app.url, "photo.png")
    lane.read(f"download: {len(served or b'')} bytes")
    lane.event("restart")
    app.restart()
    after = download(app.url, "photo.png")
    lane.read("download: the same bytes" if after == PHOTO else "download: no such file")
    lane.request("kept" if after == PHOTO else "lost", at=uploaded_at)
    return served, after


@claim(
    "uploads-restart",
    "A file written to the process's local disk is gone when the process is replaced by a "
    "new one on a fresh disk, as a new container is; a file stored in Redis is still served.",
)
def test_restart_loses_files_on_local_disk(start_app, redis_url, observe):
    """Upload a 10 KiB file to each twin, download it, restart both on a fresh disk, try again."""
    bad = start_app(f"{EXAMPLE}/bad")
    good = start_app(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})
    timeline = Timeline({"kept": "upload still served", "lost": "upload gone"})
    served, after = {}, {}
    for twin, app in (("bad", bad), ("good", good)):
        served[twin], after[twin] = upload_restart_download(app, getattr(timeline, twin))
    bad_after, good_after = after["bad"], after["good"]
    observe(
        bad=f"served photo.png ({len(served['bad'] or b'')} bytes) before the restart; after it: "
        f"{'the same bytes' if bad_after == PHOTO else 'no such file (404)'}",
        good=f"served photo.png ({len(served['good'] or b'')} bytes) before the restart; after "
        f"it: {'the same bytes' if good_after == PHOTO else 'no such file (404)'}",
        timeline=timeline,
    )

    assert served == {"bad": PHOTO, "good": PHOTO}
    assert (
        bad_after is None
        and requests.get(f"{bad.url}/files/photo.png", timeout=5).status_code == 404
    )
    assert good_after == PHOTO


@claim(
    "uploads-other-process",
    "A file uploaded through one process cannot be fetched through another when it sits on "
    "the first one's disk; from a backing service, every process serves it.",
)
def test_upload_through_one_process_fetch_through_another(start_copies, redis_url, observe):
    """Upload through the first of two copies, then download through the second and the first."""
    bad = start_copies(f"{EXAMPLE}/bad")
    good = start_copies(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})

    statuses = {}
    for twin, balancer in (("bad", bad), ("good", good)):
        assert balancer.put("/files/photo.png", data=PHOTO).status_code == 201
        answers = [balancer.get("/files/photo.png") for _ in range(2)]
        statuses[twin] = [(a.status_code, a.content == PHOTO) for a in answers]
    observe(
        bad=f"uploaded through the first copy; the second answered {statuses['bad'][0][0]}, "
        f"the first {statuses['bad'][1][0]}",
        good=f"uploaded through the first copy; the second answered {statuses['good'][0][0]}, "
        f"the first {statuses['good'][1][0]}, both with the same bytes",
    )

    assert statuses["bad"] == [(404, False), (200, True)]
    assert statuses["good"] == [(200, True), (200, True)]


def name_of(response: requests.Response) -> str:
    """The file name an acknowledged upload stored, read from the request's URL."""
    return response.request.url.rsplit("/", 1)[1]


def uploads_around_kill_9(start_app, redis_url: str, twin: str, lane: Lane):
    """Upload numbered files while the process is killed with SIGKILL and started again.

    Returns the names acknowledged before the kill and after the restart, each
    with whether the app still serves that exact file afterwards. On `lane`:
    each upload (kept when served afterwards; one acknowledged in between is
    not downloaded), the kill, the restart and the downloads.
    """
    app = start_app(f"{EXAMPLE}/{twin}", env={"REDIS_URL": redis_url})
    numbers = iter(range(1, 1_000_000))

    def upload() -> requests.Response:
        name = f"{twin}-{next(numbers)}.bin"
        return requests.put(f"{app.url}/files/{name}", data=PHOTO, timeout=5)

    crash = crash_under_traffic(app, upload)
    before = {name_of(response): False for response in crash.before}
    after = {name_of(response): False for response in crash.after}
    for names in (before, after):
        for name in names:
            names[name] = download(app.url, name) == PHOTO
    served = {**before, **after}
    lane.read(f"downloads: {sum(served.values())} of {len(served)}")
    for sent in crash.traffic.sent:
        name = name_of(sent.response) if sent.acknowledged else None
        fate = "failed" if name is None else "answered"
        if name in served:
            fate = "kept" if served[name] else "lost"
        lane.request(fate, at=sent.finished)
    lane.event("kill -9", at=crash.killed_at)
    lane.event("restarted", at=crash.restarted_at)
    return before, after


@claim(
    "uploads-kill-9",
    "Every upload the app acknowledged before a kill -9 can still be downloaded when files "
    "live in a backing service; when they sit on the killed process's local disk and a new "
    "process takes its place on a fresh disk, none can.",
)
def test_kill_9_keeps_acknowledged_uploads_only_in_the_store(start_app, redis_url, observe):
    """Upload numbered files without pause while the process is killed and restarted.

    Each upload has its own name: the proof downloads each file acknowledged
    before the kill, and each one acknowledged after the restart, by name.
    """
    timeline = Timeline(
        {"kept": "upload served", "lost": "upload gone", "answered": "acknowledged in between"}
    )
    bad_before, bad_after = uploads_around_kill_9(start_app, redis_url, "bad", timeline.bad)
    good_before, good_after = uploads_around_kill_9(start_app, redis_url, "good", timeline.good)
    observe(
        bad=f"{sum(bad_before.values())} of {len(bad_before)} files acknowledged before the "
        f"kill could be downloaded afterwards; {sum(bad_after.values())} of {len(bad_after)} "
        f"uploaded after the restart",
        good=f"{sum(good_before.values())} of {len(good_before)} files acknowledged before the "
        f"kill could be downloaded afterwards; {sum(good_after.values())} of {len(good_after)} "
        f"uploaded after the restart",
        timeline=timeline,
    )

    assert bad_before and bad_after and good_before and good_after
    # On the replaced process's disk, not one file acknowledged before the kill is served;
    # the files it received itself are.
    assert not any(bad_before.values())
    assert all(bad_after.values())
    # In the store, every file acknowledged before the kill is served, byte for byte.
    assert all(good_before.values())
    assert all(good_after.values())
