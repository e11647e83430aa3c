"""File uploads written to the local disk of whichever process received them."""

import re
from pathlib import Path

from flask import Flask, Response, jsonify, request

FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
UPLOADS = Path("uploads")
app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024


def bad_name():
    """The answer to a file name that could escape its folder or is too long."""
    return jsonify(error="a file name is 1 to 100 letters, digits, '.', '_' or '-'"), 400


@app.put("/files/<name>")
def upload(name: str):
    """Store the request body as the file `name`."""
    if not FILE_NAME.fullmatch(name):
        return bad_name()
    data = request.get_data()
    UPLOADS.mkdir(exist_ok=True)
    (UPLOADS / name).write_bytes(data)
    return jsonify(name=name, size=len(data)), 201


@app.get("/files/<name>")
def download(name: str):
    """Answer the stored file `name`."""
    if not FILE_NAME.fullmatch(name):
        return bad_name()
    path = UPLOADS / name
    if not path.is_file():
        return jsonify(error=f"no file named {name}"), 404
    return Response(path.read_bytes(), mimetype="application/octet-stream")
