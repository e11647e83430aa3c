"""Export notes as one zip archive, built in Python by the standard library."""

import io
import os
import re
import sys
import zipfile
from typing import NoReturn

from flask import Flask, jsonify, request, send_file


def stop(message: str) -> NoReturn:
    """Stop at start-up: print why on one line, exit 3 (gunicorn's "worker failed to boot")."""
    print(message, file=sys.stderr)
    sys.exit(3)


SITE_NAME = os.environ.get("SITE_NAME", "").strip()
if not re.fullmatch(r"[a-z0-9-]{1,40}", SITE_NAME):
    stop(f"SITE_NAME must be a short lowercase name like 'team-notes' (got {SITE_NAME!r})")

NOTE_NAME = re.compile(r"[a-z0-9-]{1,40}\.md")
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
app = Flask(__name__)


def zip_notes(notes: dict[str, str]) -> bytes:
    """The notes as a zip archive, one file per note."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, text in sorted(notes.items()):
            zipped.writestr(name, text)
    return archive.getvalue()


def json_body() -> object:
    """The request's JSON body, or None when it is missing, malformed or nested too deeply."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


@app.post("/export")
def export():
    """Answer `{"notes": {"name.md": "text", ...}}` with a zip of those notes."""
    body = json_body()
    notes = body.get("notes") if isinstance(body, dict) else None
    if (
        not isinstance(notes, dict)
        or not notes
        or not all(
            isinstance(name, str)
            and NOTE_NAME.fullmatch(name)
            and isinstance(text, str)
            and not LONE_SURROGATE.search(text)  # not valid UTF-8: cannot be written
            for name, text in notes.items()
        )
    ):
        return jsonify(error='send JSON like {"notes": {"todo.md": "- milk"}}'), 400
    return send_file(
        io.BytesIO(zip_notes(notes)),
        mimetype="application/zip",
        download_name=f"{SITE_NAME}-notes.zip",
    )
