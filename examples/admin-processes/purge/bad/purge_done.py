"""Delete finished tasks: `python purge_done.py`, with connection settings of its own."""

import psycopg

DATABASE = "dbname=tasks_dev user=postgres"  # the database it was written and tried against

with psycopg.connect(DATABASE) as db:
    deleted = db.execute("delete from tasks where done").rowcount
print(f"deleted {deleted} finished tasks")
