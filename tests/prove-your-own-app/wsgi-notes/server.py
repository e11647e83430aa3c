"""Notes over plain WSGI, on the standard library's `wsgiref`: an app that is not Flask.

Half twelve-factor on purpose: it binds the port in PORT, stops at once
without it, logs every request to stderr and refuses malformed bodies with a
400, but it keeps its notes in a list of the process, which a restart, a
second copy or a kill -9 shows.
"""

import json
import os
import sys
from wsgiref.simple_server import make_server

PORT = os.environ.get("PORT", "")
if not PORT.isdigit() or not 0 < int(PORT) < 65536:
    sys.exit(f"PORT must be a TCP port number from 1 to 65535 (got {PORT!r})")

notes: list[str] = []


def answer(start_response, status: str, body: dict) -> list[bytes]:
    """A JSON answer."""
    start_response(status, [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]


def read_note(environ) -> str | None:
    """The `text` of a body like {"text": "..."}, or None when the body is anything else."""
    try:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(size))
    except (ValueError, RecursionError):
        return None
    text = body.get("text") if isinstance(body, dict) else None
    return text if isinstance(text, str) and 0 < len(text) <= 200 else None


def app(environ, start_response) -> list[bytes]:
    """`POST /notes` adds a note, `GET /notes` lists them."""
    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
    if path != "/notes":
        return answer(start_response, "404 Not Found", {"error": "try /notes"})
    if method == "GET":
        return answer(start_response, "200 OK", {"notes": notes})
    if method != "POST":
        return answer(start_response, "405 Method Not Allowed", {"error": "GET or POST"})
    text = read_note(environ)
    if text is None:
        error = 'send JSON like {"text": "..."} (1 to 200 characters)'
        return answer(start_response, "400 Bad Request", {"error": error})
    notes.append(text)
    return answer(start_response, "201 Created", {"text": text})


if __name__ == "__main__":
    with make_server("127.0.0.1", int(PORT), app) as server:
        print(f"notes: serving on port {PORT}", flush=True)
        server.serve_forever()
