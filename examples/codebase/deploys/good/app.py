"""A shop's shipping quote, in the shop's one repository.

Staging, production and every laptop deploy a commit of this repository; a fix is
committed here once. What differs between deploys (the fee) comes from config.
"""

import os
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NoReturn

from flask import Flask, jsonify, request


def stop(message: str) -> NoReturn:
    """Stop at start-up: print why on one line, exit 3 (gunicorn's "worker failed to boot")."""
    print(message, file=sys.stderr)
    sys.exit(3)


FREE_FROM = Decimal("50.00")  # orders of this total or more ship free


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

# `git archive` replaces this file's placeholder with the commit id (see .gitattributes).
REVISION = Path(__file__).with_name("REVISION").read_text().strip()

app = Flask(__name__)


@app.get("/")
def about():
    """Answer which commit this deploy runs."""
    return jsonify(revision=REVISION)


@app.get("/shipping")
def shipping():
    """Quote the shipping fee for an order total: `/shipping?total=49.90`."""
    total = amount(request.args.get("total", ""))
    if total is None:
        return jsonify(error="send the order total as ?total=49.90"), 400
    fee = Decimal("0.00") if total >= FREE_FROM else SHIPPING_FEE
    return jsonify(total=str(total), fee=str(fee))
