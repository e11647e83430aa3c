"""Serve a built site the way Netlify would, with exactly the headers and redirects in netlify.toml.

The browser checks and the site benchmark load pages through this server, so
a Content-Security-Policy that blocks one of Material's scripts, a redirect
that loops or a header that is missing shows up here before it reaches
production. It implements the part of Netlify's behaviour the site relies on:

- a static file wins over a redirect rule (Netlify's "shadowing"), unless the
  rule says `force = true`;
- a directory answers with its `index.html`; `/dir` without the slash
  redirects to `/dir/`;
- redirect rules match top-down, first match wins, with `:placeholders` and
  a trailing `/*` splat, and ignore a trailing slash on both sides;
- status 301/302 redirects, 200 rewrites, 404 serves the target with a 404;
- every `[[headers]]` block whose `for` pattern matches adds its values;
  `*` matches any characters, `:name` one path segment;
- text is gzipped when the client accepts it, as Netlify does, so transfer
  sizes are realistic. Responses without a Cache-Control of their own get
  Netlify's default, `public, max-age=0, must-revalidate`.

Only 127.0.0.1 is used. `NetlifyServer(site_dir).start()` returns the server;
`url` is its base URL, `requests` the list of `(path, status, body bytes sent)` it
answered (body bytes after gzip, as they went over the wire).
"""

from __future__ import annotations

import gzip
import mimetypes
import re
import threading
import tomllib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from proven.paths import ROOT

NETLIFY_TOML = ROOT / "netlify.toml"
DEFAULT_CACHE = "public, max-age=0, must-revalidate"
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".xml": "application/xml",
    ".map": "application/json",
    ".gz": "application/gzip",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".inv": "application/octet-stream",
    ".txt": "text/plain; charset=utf-8",
}


def _strip_slash(path: str) -> str:
    return path.rstrip("/") or "/"


def _pattern(rule: str, *, redirect: bool) -> re.Pattern[str]:
    """Compile a Netlify path pattern: `:name` is one segment, `*` any characters."""
    if redirect:
        rule = _strip_slash(rule)
    out = ""
    for token in re.split(r"(\*|:[A-Za-z_][A-Za-z0-9_]*)", rule):
        if token == "*":
            out += "(?P<splat>.*)"
        elif token.startswith(":"):
            out += f"(?P<{token[1:]}>[^/]+)"
        else:
            out += re.escape(token)
    if redirect and out.endswith("/(?P<splat>.*)"):
        out = out.removesuffix("/(?P<splat>.*)") + "(?:/(?P<splat>.*))?"
    return re.compile(f"^{out}$")


@dataclass
class Redirect:
    """One `[[redirects]]` rule."""

    source: str
    to: str
    status: int = 301
    force: bool = False

    def match(self, path: str) -> str | None:
        """The target for `path`, placeholders filled in, or None if the rule does not match."""
        found = _pattern(self.source, redirect=True).match(_strip_slash(path))
        if not found:
            return None
        target = self.to
        for name, value in found.groupdict().items():
            target = target.replace(f":{name}", value or "")
        return target


@dataclass
class NetlifyConfig:
    """The headers and redirects of a netlify.toml."""

    headers: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path = NETLIFY_TOML) -> NetlifyConfig:
        """Read `path` with tomllib."""
        data = tomllib.loads(path.read_text())
        return cls(
            headers=[(h["for"], dict(h.get("values", {}))) for h in data.get("headers", [])],
            redirects=[
                Redirect(r["from"], r["to"], int(r.get("status", 301)), bool(r.get("force")))
                for r in data.get("redirects", [])
            ],
        )

    def headers_for(self, path: str) -> dict[str, str]:
        """Every header whose `for` pattern matches `path` (later blocks win on a clash)."""
        merged: dict[str, str] = {}
        for rule, values in self.headers:
            if _pattern(rule, redirect=False).match(path):
                merged.update(values)
        return merged


class NetlifyServer:
    """A local stand-in for Netlify serving `site_dir` on 127.0.0.1."""

    def __init__(self, site_dir: Path, config: NetlifyConfig | None = None, port: int = 0) -> None:
        self.site_dir = Path(site_dir).resolve()
        self.port = port
        self.config = config or NetlifyConfig.load()
        self.requests: list[tuple[str, int, int]] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, such as `http://127.0.0.1:40123`."""
        assert self._httpd is not None, "start() the server first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> NetlifyServer:
        """Listen on `port` (0: a free one) of 127.0.0.1 in a background thread."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server._answer(self, body=True)

            def do_HEAD(self) -> None:  # noqa: N802
                server._answer(self, body=False)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and join the thread."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> NetlifyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _file(self, path: str) -> Path | None:
        candidate = (self.site_dir / path.lstrip("/")).resolve()
        if not candidate.is_relative_to(self.site_dir):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None

    def resolve(self, path: str) -> tuple[int, Path | None, str | None]:
        """What Netlify does with `path`: (status, file to send, Location to redirect to)."""
        static = self._file(path)
        for rule in self.config.redirects:
            if static is not None and not rule.force:
                continue  # a file shadows every rule that is not forced
            target = rule.match(path)
            if target is None:
                continue
            if rule.status in (301, 302, 303, 307, 308):
                return rule.status, None, target
            return rule.status, self._file(target), None
        if static is not None and static.name == "index.html" and not path.endswith("/"):
            return 301, None, path + "/"  # /dir redirects to /dir/ (pretty URLs)
        if static is not None:
            return 200, static, None
        return 404, None, None

    def _answer(self, handler: BaseHTTPRequestHandler, *, body: bool) -> None:
        path = unquote(urlsplit(handler.path).path)
        status, file, location = self.resolve(path)
        headers = self.config.headers_for(path)
        data = b""
        if location is not None:
            headers["Location"] = location
        elif file is not None:
            data = file.read_bytes()
            headers["Content-Type"] = TYPES.get(file.suffix) or (
                mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            )
            accepts = handler.headers.get("Accept-Encoding", "")
            if "gzip" in accepts and headers["Content-Type"].startswith(COMPRESSIBLE):
                data = gzip.compress(data, compresslevel=6, mtime=0)
                headers["Content-Encoding"] = "gzip"
                headers["Vary"] = "Accept-Encoding"
        else:
            data = b"Not found"
            headers["Content-Type"] = "text/plain; charset=utf-8"
        headers.setdefault("Cache-Control", DEFAULT_CACHE)
        self.requests.append((path, status, len(data) if body else 0))
        headers["Content-Length"] = str(len(data))
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        if body:
            handler.wfile.write(data)
