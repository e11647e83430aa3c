"""Proofs for Factor I: code two apps share is a library, not a copied file.

The proof runs the same steps on either invoices twin. It rebuilds the history:
the `shiprules` library and the app each get a git repository holding their code
as it was before a fix (the library at 1.0.0), the library's release is built into
the shop's package index, and the app is deployed (its environment built from its
`requirements.txt`, then started). Then the fix is committed once, to the library,
and released as 1.1.0; an updater bumps every pin the index has a newer release of;
the app is deployed again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import requests
from packaging.version import Version

from proven import AppProcess, claim
from proven.git import Repo
from proven.paths import EXAMPLES_DIR
from proven.venvs import build_wheel, venv_gunicorn

EXAMPLE = EXAMPLES_DIR / "codebase/shared-code"
TOTALS = ["20.00", "49.99", "50.00", "120.00"]
FEE = "4.95"
"""The deploy's config: the shipping fee below 50.00."""
BEFORE_FIX = {
    "total >= FREE_FROM": "total > FREE_FROM",
    'version = "1.1.0"': 'version = "1.0.0"',
    "shiprules==1.1.0": "shiprules==1.0.0",
}
"""What the fix changed, new text to old: the rule charged an order of exactly 50.00, and the
library's version (and a pin of it) was 1.0.0."""
PIN = re.compile(r"(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)")


def files(folder: Path) -> dict[str, Path]:
    """The files of an example folder, as a commit of them holds them."""
    return {path.name: path for path in sorted(folder.iterdir()) if path.is_file()}


def before_fix(folder: Path) -> dict[str, str]:
    """The files of an example folder as they were before the fix."""
    old = {}
    for name, path in files(folder).items():
        text = path.read_text()
        for now, then in BEFORE_FIX.items():
            text = text.replace(now, then)
        old[name] = text
    return old


def normal(name: str) -> str:
    """A distribution name as wheel files and indexes compare it."""
    return re.sub(r"[-_.]+", "_", name).lower()


def release(library: Repo, work: Path, index: Path) -> tuple[str, Path]:
    """Build the newest commit of the library into a wheel in the shop's index (a folder pip
    installs from); return the version released and the folder of its source."""
    commit = library.head()[:7]
    source = library.export("main", work / "releases" / commit / "shiprules")
    wheel = build_wheel(source, work / "wheels" / commit)
    index.mkdir(exist_ok=True)
    shutil.copy(wheel, index)
    return wheel.name.split("-")[1], source


def bump_pins(app: Repo, index: Path) -> list[str]:
    """What an automated updater (Dependabot, Renovate) does for an app: bump each pin of its
    `requirements.txt` that the shop's index has a newer release of, and commit the change.
    Returns the bumps, like `shiprules 1.0.0 → 1.1.0`."""
    released: dict[str, list[Version]] = {}
    for wheel in index.glob("*.whl"):
        name, version = wheel.name.split("-")[:2]
        released.setdefault(normal(name), []).append(Version(version))
    lines, bumps = [], []
    for line in (app.path / "requirements.txt").read_text().splitlines():
        pin = PIN.fullmatch(line.strip())
        newest = max(released.get(normal(pin["name"]), []), default=None) if pin else None
        if pin and newest is not None and newest > Version(pin["version"]):
            line = f"{pin['name']}=={newest}"
            bumps.append(f"{pin['name']} {pin['version']} → {newest}")
        lines.append(line)
    if bumps:
        app.commit(f"Bump {', '.join(bumps)}", {"requirements.txt": "\n".join(lines) + "\n"})
    return bumps


def library_fees(source: Path) -> list[str]:
    """What a release of the library answers for TOTALS: its `shipping_fee`, run from the
    source the release was built from."""
    script = (
        "import sys\nfrom decimal import Decimal\nfrom shiprules import shipping_fee\n"
        "print(*(shipping_fee(Decimal(t), Decimal(sys.argv[1])) for t in sys.argv[2:]))"
    )
    answer = subprocess.run(
        [sys.executable, "-c", script, FEE, *TOTALS],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(source)},
    )
    return answer.stdout.split()


def app_fees(app: AppProcess) -> list[str]:
    """The shipping an app bills for each of TOTALS."""
    return [
        requests.get(f"{app.url}/invoice?total={total}", timeout=5).json()["shipping"]
        for total in TOTALS
    ]


def recorded_version(python: Path) -> str:
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
    "A fix to the shop's shipping rule, committed once to the shiprules library and released "
    "as 1.1.0, then both invoicing apps updated and redeployed the same way: the app that "
    "declares the library has its pin bumped from 1.0.0 by the updater and bills what 1.1.0 "
    "says for all four totals tried (0.00 for an order of 50.00); the app that copied the "
    "rule's file gets no bump, still bills 4.95 for 50.00, and its environment records no "
    "version of the rule. Before the fix both apps billed what 1.0.0 says.",
)
def test_a_fix_reaches_a_declared_library_not_a_copy(
    tmp_path: Path,
    isolated_python: Callable[..., Path],
    start_app: Callable[..., AppProcess],
    observe: Callable[..., None],
):
    """Commit the library and each invoices twin, as they were before the fix, to git
    repositories of their own; release the library and deploy both twins. Commit the fix once,
    to the library, release it, run the updater on both twins, deploy both again. Each time,
    compare what each twin bills for four totals with what the newest release says."""
    index = tmp_path / "index"
    library = Repo.init(tmp_path / "shiprules")
    library.commit("The shipping rule", before_fix(EXAMPLE / "shiprules"))
    released = dict([release(library, tmp_path, index)])
    apps = {twin: Repo.init(tmp_path / f"invoices-{twin}") for twin in ("bad", "good")}
    for twin, repo in apps.items():
        repo.commit("Invoices", before_fix(EXAMPLE / twin))

    def deploy(twin: str) -> tuple[list[str], str]:
        """Deploy an app's newest commit: build its environment from its requirements.txt,
        start it there; answer what it bills and the version of the rule its environment
        records."""
        code = apps[twin].export("main", tmp_path / f"deploy-{twin}-{apps[twin].head()[:7]}")
        python = isolated_python(code / "requirements.txt", (index,))
        app = start_app(
            code,
            env={"SHIPPING_FEE": FEE, "PATH": str(python.parent)},
            command=venv_gunicorn(python),
        )
        billed = app_fees(app)
        app.close()
        return billed, recorded_version(python)

    before = {twin: deploy(twin) for twin in apps}
    said_before = library_fees(released["1.0.0"])

    library.commit("Ship free from exactly 50.00", files(EXAMPLE / "shiprules"))
    released.update([release(library, tmp_path, index)])
    bumps = {twin: bump_pins(repo, index) for twin, repo in apps.items()}
    after = {twin: deploy(twin) for twin in apps}
    said_after = library_fees(released["1.1.0"])

    def seen(twin: str) -> str:
        (billed_before, version_before), (billed_after, version_after) = before[twin], after[twin]
        return (
            f"billed for {' '.join(TOTALS)}: {' '.join(billed_before)} before, "
            f"{' '.join(billed_after)} after (1.1.0 says {' '.join(said_after)}); "
            f"bumps: {', '.join(bumps[twin]) or 'none'}; rule recorded: {version_before}, "
            f"then {version_after}"
        )

    observe(bad=seen("bad"), good=seen("good"))

    assert list(released) == ["1.0.0", "1.1.0"]
    assert said_before == ["4.95", "4.95", "4.95", "0.00"]
    assert said_after == ["4.95", "4.95", "0.00", "0.00"]
    assert before == {"bad": (said_before, "none"), "good": (said_before, "1.0.0")}
    assert bumps == {"bad": [], "good": ["shiprules 1.0.0 → 1.1.0"]}
    assert after == {"bad": (said_before, "none"), "good": (said_after, "1.1.0")}
