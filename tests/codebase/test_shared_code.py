"""Proofs for Factor I: code two apps share is a library, not a copied file."""

import subprocess

import pytest
import requests

from proven import claim
from proven.paths import EXAMPLES_DIR
from proven.venvs import build_wheel, venv_gunicorn

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


def recorded_version(python) -> str:
    """The version of `shiprules` the environment of `python` records, or "none"."""
    script = (
        "import importlib.metadata as m\n"
        "try: print(m.version('shiprules'))\n"
        "except m.PackageNotFoundError: print('none')"
    )
    answer = subprocess.run([python, "-c", script], capture_output=True, text=True, check=True)
    return answer.stdout.strip()


@claim(
    "shared-library",
    "An app that copies a shared rule's file bills an order of 50.00 differently from the "
    "library it was copied from, and its environment records no version of the rule; the app that "
    "declares shiprules==1.1.0 bills what the library says for all four totals tried.",
)
def test_copied_file_drifts_declared_library_does_not(library, isolated_python, start_app, observe):
    """Build the `shiprules` library into a wheel, build each invoices twin's environment from
    its requirements.txt, ask each environment which version of the rule it holds, and compare
    the shipping each twin bills with what the library says for the same four totals."""
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
    good_fees, bad_fees = app_fees(good), app_fees(bad)
    versions = {"good": recorded_version(good_python), "bad": recorded_version(bad_python)}
    pairs = zip(TOTALS, bad_fees, expected, strict=True)
    differ = [total for total, fee, lib in pairs if fee != lib]
    observe(
        bad=f"billed {bad_fees} for {TOTALS}; the library says {expected}; differs at "
        f"{differ}; recorded version of the rule: {versions['bad']}",
        good=f"billed {good_fees}, as the library says for all {len(TOTALS)} totals; "
        f"recorded version: shiprules {versions['good']}",
    )

    assert expected == ["4.95", "4.95", "0.00", "0.00"]
    assert versions == {"good": "1.1.0", "bad": "none"}
    assert good_fees == expected
    assert bad_fees == ["4.95", "4.95", "4.95", "0.00"]  # the copy missed the fix
    assert differ == ["50.00"]
