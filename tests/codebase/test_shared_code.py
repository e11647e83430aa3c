"""Proofs for Factor I: code two apps share is a library, not a copied file."""

import subprocess

import pytest
import requests

from harness import claim
from harness.processes import EXAMPLES_DIR
from harness.venvs import build_wheel, venv_gunicorn

EXAMPLE = EXAMPLES_DIR / "codebase/shared-code"
TOTALS = ["20.00", "49.99", "50.00", "120.00"]


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """The `shiprules` library, built into a wheel from its own folder."""
    return build_wheel(EXAMPLE / "shiprules", tmp_path_factory.mktemp("library"))


def library_fees(python, fee: str) -> list[str]:
    """What the library itself answers, as any app that declares it would see it."""
    script = (
        "import sys\nfrom decimal import Decimal\nfrom shiprules import shipping_fee\n"
        "print(*(shipping_fee(Decimal(t), Decimal(sys.argv[1])) for t in sys.argv[2:]))"
    )
    answer = subprocess.run(
        [python, "-c", script, fee, *TOTALS], capture_output=True, text=True, check=True
    )
    return answer.stdout.split()


def app_fees(app) -> list[str]:
    return [
        requests.get(f"{app.url}/invoice?total={total}", timeout=5).json()["shipping"]
        for total in TOTALS
    ]


@claim(
    "shared-library",
    "Code two apps share belongs in a library both declare: a copied file drifts from the "
    "original and quietly gives different answers; a declared library gives the same ones.",
)
def test_copied_file_drifts_declared_library_does_not(library, isolated_python, start_app):
    """Build the `shiprules` library into a wheel, build each invoices twin's environment from
    its requirements.txt, and compare the shipping each twin bills with what the library says
    for the same four totals."""
    good_python = isolated_python(EXAMPLE / "good" / "requirements.txt", (library.parent,))
    bad_python = isolated_python(EXAMPLE / "bad" / "requirements.txt")
    env = {"SHIPPING_FEE": "4.95"}
    good = start_app(
        EXAMPLE / "good",
        env={**env, "PATH": str(good_python.parent)},
        command=venv_gunicorn(good_python),
    )
    bad = start_app(
        EXAMPLE / "bad",
        env={**env, "PATH": str(bad_python.parent)},
        command=venv_gunicorn(bad_python),
    )

    expected = library_fees(good_python, "4.95")
    assert expected == ["4.95", "4.95", "0.00", "0.00"]
    assert app_fees(good) == expected
    assert app_fees(bad) == ["4.95", "4.95", "4.95", "0.00"]  # the copy missed the fix
