"""Reports built in a private scratch folder that lives only as long as the request."""

import csv
import json
import os
import re
import sys
import tempfile
import uuid
from pathlib import Path
from typing import NoReturn

import redis
from flask import Flask, jsonify, request


def stop(message: str) -> NoReturn:
    """Stop at start-up: print why on one line, exit 3 (gunicorn's "worker failed to boot")."""
    print(message, file=sys.stderr)
    sys.exit(3)


REDIS_URL = os.environ.get("REDIS_URL", "")
if not REDIS_URL.startswith(("redis://", "rediss://")):
    stop(
        "REDIS_URL must be set to a redis:// URL "
        f"(got {'nothing' if not REDIS_URL else 'another form'})"
    )

REPORT_ID = re.compile(r"[0-9a-f]{32}")
store = redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024


def summarise(path: Path) -> dict[str, float]:
    """Count the `item,amount` rows of a CSV file and add up the amounts."""
    rows, total = 0, 0.0
    with path.open(newline="", encoding="utf-8", errors="replace") as lines:
        for number, row in enumerate(csv.reader(lines), start=1):
            if len(row) != 2:
                raise ValueError(f"line {number}: expected 'item,amount'")
            try:
                total += float(row[1])
            except ValueError:
                raise ValueError(f"line {number}: amount {row[1][:20]!r} is not a number") from None
            rows += 1
    return {"rows": rows, "total": round(total, 2)}


@app.post("/reports")
def create_report():
    """Summarise the CSV in the request body and keep the summary."""
    with tempfile.TemporaryDirectory() as scratch:
        upload = Path(scratch) / "upload.csv"
        upload.write_bytes(request.get_data())
        try:
            summary = summarise(upload)
        except (ValueError, csv.Error) as error:
            return jsonify(error=str(error)), 400
    report_id = uuid.uuid4().hex
    store.set(f"report:{report_id}", json.dumps(summary))
    return jsonify(id=report_id, **summary), 201


@app.get("/reports/<report_id>")
def read_report(report_id: str):
    """Answer a summary made earlier, by any process."""
    saved = store.get(f"report:{report_id}") if REPORT_ID.fullmatch(report_id) else None
    if saved is None:
        return jsonify(error=f"no report {report_id}"), 404
    return jsonify(id=report_id, **json.loads(saved))


@app.errorhandler(redis.RedisError)
def store_unavailable(error: redis.RedisError):
    """Answer 503, not a stack trace, while Redis cannot be reached."""
    app.logger.warning("store unavailable: %s", error)
    return jsonify(error="the report store is unavailable; try again"), 503
