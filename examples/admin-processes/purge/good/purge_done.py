"""Delete finished tasks: `python purge_done.py`, a one-off process with the app's config."""

import psycopg
from app import DATABASE_URL  # the web process's variable, read and checked the same way

with psycopg.connect(DATABASE_URL) as db:
    deleted = db.execute("delete from tasks where done").rowcount
print(f"deleted {deleted} finished tasks")
