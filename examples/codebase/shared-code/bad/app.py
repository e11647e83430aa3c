"""Invoices: bills an order, with the shop's shipping rule from shiprules.py, a file copied in."""

import os
import sys
from decimal import Decimal, InvalidOperation
from typing import NoReturn

from flask import Flask, jsonify, request


def stop(message: str) -> NoReturn:
    """Stop at start-up: print why on one line, exit 3 (gunicorn's "worker failed to boot")."""
    print(message, file=sys.stderr)
    sys.exit(3)


def amount(text: str) -> Decimal | None:
    """A money amount like `49.90`, or None."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() and 0 <= value < 1_000_000 else None


SHIPPING_FEE = amount(os.environ.get("SHIPPING_FEE", ""))
if SHIPPING_FEE is None:
    stop(f"SHIPPING_FEE must be an amount like 4.95 (got {os.environ.get('SHIPPING_FEE')!r})")

# The shipping rule: imported after the config check, so missing config is reported first.
from shiprules import shipping_fee  # noqa: E402

app = Flask(__name__)


@app.get("/invoice")
def invoice():
    """Bill an order total: `/invoice?total=49.90`."""
    total = amount(request.args.get("total", ""))
    if total is None:
        return jsonify(error="send the order total as ?total=49.90"), 400
    shipping = shipping_fee(total, SHIPPING_FEE)
    return jsonify(total=str(total), shipping=str(shipping), due=str(total + shipping))
