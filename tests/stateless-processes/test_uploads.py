"""Proofs for uploads: files on the local disk of one process vs in a backing service."""

import itertools

import requests

from harness import claim, crash_under_traffic

EXAMPLE = "stateless-processes/uploads"
PHOTO = bytes(range(256)) * 40


@claim(
    "uploads-restart",
    "A file written to the process's local disk is gone when the process is replaced by a "
    "new one; a file stored in Redis is still served.",
)
def test_restart_loses_files_on_local_disk(start_app, redis_url):
    """Upload a 10 KiB file to each twin, restart both on a fresh disk, and download it."""
    bad = start_app(f"{EXAMPLE}/bad")
    good = start_app(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})
    for app in (bad, good):
        assert requests.put(f"{app.url}/files/photo.png", data=PHOTO, timeout=5).status_code == 201

    bad.restart()
    good.restart()

    assert requests.get(f"{bad.url}/files/photo.png", timeout=5).status_code == 404
    assert requests.get(f"{good.url}/files/photo.png", timeout=5).content == PHOTO


@claim(
    "uploads-other-process",
    "A file uploaded through one process cannot be fetched through another when it sits on "
    "the first one's disk; from a backing service, every process serves it.",
)
def test_upload_through_one_process_fetch_through_another(start_copies, redis_url):
    """Upload through the first of two copies, then download through the second."""
    bad = start_copies(f"{EXAMPLE}/bad")
    good = start_copies(f"{EXAMPLE}/good", env={"REDIS_URL": redis_url})

    for balancer in (bad, good):
        assert balancer.put("/files/photo.png", data=PHOTO).status_code == 201

    assert bad.get("/files/photo.png").status_code == 404
    assert good.get("/files/photo.png").content == PHOTO


def uploads_after_kill_9(start_app, redis_url: str, twin: str) -> tuple[int, int]:
    """Uploads acknowledged around a kill -9, and how many of them can be downloaded after."""
    app = start_app(f"{EXAMPLE}/{twin}", env={"REDIS_URL": redis_url})
    numbers = itertools.count()
    acknowledged: list[str] = []

    def upload() -> requests.Response:
        name = f"{twin}-{next(numbers)}.bin"
        response = requests.put(f"{app.url}/files/{name}", data=PHOTO, timeout=5)
        if response.ok:
            acknowledged.append(name)
        return response

    crash_under_traffic(app, upload)
    found = [requests.get(f"{app.url}/files/{name}", timeout=5).ok for name in acknowledged]
    return len(acknowledged), sum(found)


@claim(
    "uploads-kill-9",
    "Every upload the app acknowledged before a kill -9 can still be downloaded when files "
    "live in a backing service; on the local disk of a replaced process, none can.",
)
def test_kill_9_keeps_acknowledged_uploads_only_in_the_store(start_app, redis_url):
    """Upload numbered files without pause while the process is killed and restarted."""
    bad_acknowledged, bad_downloadable = uploads_after_kill_9(start_app, redis_url, "bad")
    good_acknowledged, good_downloadable = uploads_after_kill_9(start_app, redis_url, "good")

    assert bad_downloadable < bad_acknowledged
    assert good_downloadable == good_acknowledged > 0
