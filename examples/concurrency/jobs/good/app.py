"""A web process that only queues jobs: a separate worker process type runs them."""

import json
import os
import sys
import uuid
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

store = redis.Redis.from_url(REDIS_URL, decode_responses=True)
app = Flask(__name__)


def enqueue(job: dict) -> None:
    """Hand the job to the worker processes through a list in Redis."""
    store.lpush("jobs", json.dumps(job))


def json_body() -> object:
    """The request's JSON body, or None when it is missing, malformed or nested too deeply."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


@app.post("/jobs")
def submit_job():
    """Queue `{"seconds": 0.3}`: a job that waits on I/O that long (a slow API, say)."""
    body = json_body()
    seconds = body.get("seconds") if isinstance(body, dict) else None
    if not isinstance(seconds, int | float) or not 0 < seconds <= 10:
        return jsonify(error='send JSON like {"seconds": 0.3} (above 0, at most 10)'), 400
    job = {"id": uuid.uuid4().hex, "seconds": seconds}
    store.hset(f"job:{job['id']}", mapping={"status": "queued"})
    enqueue(job)
    return jsonify(id=job["id"]), 202


@app.get("/jobs/<job_id>")
def job_status(job_id: str):
    """Answer a job's status and the process id that ran it."""
    job = store.hgetall(f"job:{job_id}")
    if not job:
        return jsonify(error="no such job"), 404
    return jsonify(id=job_id, **job)


@app.errorhandler(redis.RedisError)
def store_unavailable(error: redis.RedisError):
    """Answer 503, not a stack trace, while Redis cannot be reached."""
    app.logger.warning("queue unavailable: %s", error)
    return jsonify(error="the job queue is unavailable; try again"), 503
