"""Notes in Redis over plain WSGI: an app that should pass every check the kit has.

It binds the port in PORT, stops at once without REDIS_URL (naming it), logs
every request to stderr, refuses malformed bodies with a 400 and keeps its
notes in Redis, a backing service every copy shares. Each answer names the
address it was asked on (its `Host`), as many apps' absolute URLs do: two
copies' answers differ in their port, and must still be judged alike.
"""

import json
import os
import sys
from wsgiref.simple_server import make_server

import redis

PORT = os.environ.get("PORT", "")
if not PORT.isdigit():
    sys.exit(f"PORT must be a TCP port number (got {PORT!r})")
if not os.environ.get("REDIS_URL", "").startswith("redis://"):
    sys.exit("REDIS_URL must be a redis:// URL")

store = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=2)


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
    """`POST /notes` adds a note, `GET /notes` lists them, with the address asked."""
    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
    here = f"http://{environ.get('HTTP_HOST', '')}{path}"
    if path != "/notes":
        return answer(start_response, "404 Not Found", {"error": "try /notes", "url": here})
    if method == "GET":
        notes = [note.decode() for note in store.lrange("notes", 0, -1)]
        return answer(start_response, "200 OK", {"url": here, "notes": notes})
    if method != "POST":
        return answer(start_response, "405 Method Not Allowed", {"error": "GET or POST"})
    text = read_note(environ)
    if text is None:
        error = 'send JSON like {"text": "..."} (1 to 200 characters)'
        return answer(start_response, "400 Bad Request", {"error": error})
    store.rpush("notes", text)
    return answer(start_response, "201 Created", {"text": text, "url": here})


if __name__ == "__main__":
    with make_server("127.0.0.1", int(PORT), app) as server:
        print(f"notes: serving on port {PORT}", flush=True)
        server.serve_forever()
