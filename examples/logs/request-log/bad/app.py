"""An orders API that writes its events to a log file it rotates itself, in batches."""

import json
import logging
import logging.handlers
import os
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import NoReturn

from flask import Flask, g, jsonify, request


def stop(message: str) -> NoReturn:
    """Stop at start-up: print why on one line, exit 3 (gunicorn's "worker failed to boot")."""
    print(message, file=sys.stderr)
    sys.exit(3)


LOG_LEVEL = os.environ.get("LOG_LEVEL", "info").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR"):
    stop(f"LOG_LEVEL must be debug, info, warning or error (got {LOG_LEVEL.lower()!r})")

ORDERS = {"1001": {"item": "tea", "quantity": 2}, "1002": {"item": "milk", "quantity": 1}}
REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


class JsonLines(logging.Formatter):
    """One event per line: a JSON object with a timestamp, a level and the event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", {"message": record.getMessage()})
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        return json.dumps({"ts": now, "level": record.levelname.lower(), **fields})


os.makedirs("logs", exist_ok=True)
log_file = logging.handlers.RotatingFileHandler("logs/app.log", maxBytes=1_000_000, backupCount=3)
log_file.setFormatter(JsonLines())
# Write in batches of 50 events: fewer writes, and faster requests.
handler = logging.handlers.MemoryHandler(capacity=50, target=log_file)
log = logging.getLogger("orders")
log.addHandler(handler)
log.setLevel(LOG_LEVEL)
log.propagate = False

app = Flask(__name__)


@app.before_request
def start_timer():
    """Take the caller's request id (or make one) and start the clock."""
    given = request.headers.get("X-Request-Id", "")
    g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    g.started = time.perf_counter()


@app.after_request
def log_request(response):
    """Write one event for the request, and hand its id back to the caller."""
    fields = {
        "event": "request",
        "request_id": g.request_id,
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - g.started) * 1000, 2),
        "pid": os.getpid(),
    }
    log.info("request", extra={"fields": fields})
    response.headers["X-Request-Id"] = g.request_id
    return response


@app.get("/orders/<order_id>")
def show_order(order_id: str):
    """Answer one order, or 404."""
    if order_id not in ORDERS:
        return jsonify(error="no such order"), 404
    return jsonify(id=order_id, **ORDERS[order_id])
