"""A greeting service that is a program of its own: it starts its web server itself."""

import os
import re
import sys
import time
from typing import NoReturn

from flask import Flask, jsonify, request
from gunicorn.app.base import BaseApplication


def stop(message: str) -> NoReturn:
    """Stop at start-up: print why on one line, exit 3 (gunicorn's "worker failed to boot")."""
    print(message, file=sys.stderr)
    sys.exit(3)


PORT = os.environ.get("PORT", "")
if not PORT.isdigit() or not 0 < int(PORT) < 65536:
    stop(f"PORT must be a TCP port number from 1 to 65535 (got {PORT!r})")

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")
app = Flask(__name__)


@app.get("/hello")
def hello():
    """Greet `?name=Ada`; `&wait=1` stands for a second of slow work (up to 5)."""
    name, wait = request.args.get("name", ""), request.args.get("wait", "0")
    if not NAME.fullmatch(name) or wait not in {"0", "1", "2", "3", "4", "5"}:
        return jsonify(error="send ?name=Ada (1 to 32 letters or digits) and wait 0 to 5"), 400
    time.sleep(int(wait))
    return jsonify(greeting=f"Hello, {name}!")


class Server(BaseApplication):
    """gunicorn, a declared dependency, serving `app` from inside this process."""

    def __init__(self, bind: str) -> None:
        self.bind = bind
        super().__init__()

    def load_config(self) -> None:
        self.cfg.set("bind", [self.bind])
        self.cfg.set("control_socket_disable", True)

    def load(self) -> Flask:
        return app


if __name__ == "__main__":
    Server(f"0.0.0.0:{PORT}").run()
