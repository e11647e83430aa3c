"""A shopping cart kept in a dictionary inside the process."""

import re
import uuid

from flask import Flask, jsonify, request

CART_ID = re.compile(r"[0-9a-f]{32}")
carts: dict[str, list[str]] = {}
app = Flask(__name__)


def cart_id() -> str:
    """The visitor's cart id, from the cookie, or a new one."""
    known = request.cookies.get("cart_id", "")
    return known if CART_ID.fullmatch(known) else uuid.uuid4().hex


def json_body() -> object:
    """The request's JSON body, or None when it is missing, malformed or nested too deeply."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


@app.post("/cart/items")
def add_item():
    """Add `{"item": "..."}` to the visitor's cart and answer the whole cart."""
    body = json_body()
    item = body.get("item") if isinstance(body, dict) else None
    if not isinstance(item, str) or not 0 < len(item) <= 100 or not item.isprintable():
        return jsonify(error='send JSON like {"item": "tea"} (1 to 100 printable characters)'), 400
    visitor = cart_id()
    items = carts.setdefault(visitor, [])
    items.append(item)
    response = jsonify(items=items)
    response.set_cookie("cart_id", visitor, httponly=True, samesite="Lax")
    return response, 201


@app.get("/cart")
def show_cart():
    """Answer the visitor's cart."""
    return jsonify(items=carts.get(cart_id(), []))
