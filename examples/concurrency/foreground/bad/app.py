"""A small web app; what this pair teaches is in its Procfile: how the server is started."""

import os

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
def hello():
    """Answer with the id of the process that served the request."""
    return jsonify(pid=os.getpid())
