"""A greeting service that waits to be loaded by a web server installed on the host."""

import re
import time

from flask import Flask, jsonify, request

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


application = app  # the name Apache's mod_wsgi looks for in this file
