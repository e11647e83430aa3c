"""Serve the built site as Netlify would: netlify.toml's headers and redirects, gzip, 404 page.

From the project root:

    .venv/bin/python -m tools.netlify_server             # build the site, serve it on :8000
    .venv/bin/python -m tools.netlify_server --site site --port 8080   # serve a build as it is

The browser checks (`tests/site/`) and the site benchmark use the same server
(`proven.site.netlify`), so what you see here is what they measure.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
from pathlib import Path

from proven.site.build import build_site
from proven.site.netlify import NetlifyServer


def main() -> None:
    """Build (unless `--site` is given) and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tools.netlify_server", description=__doc__)
    parser.add_argument("--site", type=Path, help="a built site to serve (default: build one)")
    parser.add_argument("--port", type=int, default=8000, help="port of 127.0.0.1 (default 8000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        site = args.site or build_site(Path(folder) / "site")
        with NetlifyServer(site, port=args.port) as server:
            print(f"serving {site} at {server.url}/ (Ctrl-C stops)")
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                pass


if __name__ == "__main__":
    main()
