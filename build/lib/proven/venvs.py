"""Isolated Python environments built only from what an app declares.

A proof about dependencies needs an environment that holds exactly the
packages a `requirements.txt` names and nothing else: a fresh virtual
environment (`python -m venv`, no system site-packages) into which pip
installs those pins with `--no-deps`, so a package the file forgets is simply
not there. Wheels come from a local cache that is filled once (by `pip
download`) and reused by every later run, so building an environment takes
about a second.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from proven.paths import copy_shipped

WHEEL_CACHE = Path(
    os.environ.get("TWELVE_FACTOR_WHEELS")
    or Path.home() / ".cache" / "twelve-factor-proven" / "wheels"
)
"""Where wheels are kept between runs (`TWELVE_FACTOR_WHEELS` overrides it)."""

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;#]+)")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def read_requirements(path: Path) -> list[str]:
    r"""The requirement lines of a requirements file, without comments or blank lines.

    Example:
        ```python
        import tempfile
        from pathlib import Path

        from proven.venvs import read_requirements

        with tempfile.TemporaryDirectory() as tmp:
            file = Path(tmp, "requirements.txt")
            file.write_text("# web\nFlask==3.1.3\n\ngunicorn==27.0.1  # server\n")
            assert read_requirements(file) == ["Flask==3.1.3", "gunicorn==27.0.1"]
        ```
    """
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def _has_wheel(cache: Path, requirement: str) -> bool:
    pin = _PIN.match(requirement)
    if pin is None:
        raise ValueError(f"{requirement!r} is not pinned as name==version")
    name, version = _normal(pin["name"]), pin["version"]
    return any(
        _normal(wheel.name.split("-")[0]) == name and wheel.name.split("-")[1] == version
        for wheel in cache.glob("*.whl")
    )


def ensure_wheels(requirements: Iterable[str], cache: Path = WHEEL_CACHE) -> Path:
    """Make sure the cache holds a wheel for every pin; download only the missing ones.

    Returns the cache folder, ready for `pip install --no-index --find-links`.

    Example:
        ```python
        from proven.venvs import ensure_wheels

        cache = ensure_wheels(["itsdangerous==2.2.0"])
        assert any(cache.glob("itsdangerous-2.2.0-*.whl"))
        ```
    """
    cache.mkdir(parents=True, exist_ok=True)
    missing = [r for r in requirements if not _has_wheel(cache, r)]
    if missing:
        with tempfile.TemporaryDirectory(dir=cache) as download:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
                + ["--only-binary=:all:", "--dest", download, *missing],
                check=True,
            )
            for wheel in Path(download).glob("*.whl"):
                os.replace(wheel, cache / wheel.name)
    return cache


def build_wheel(project: Path, out: Path, cache: Path = WHEEL_CACHE) -> Path:
    """Build a local library (a folder with `pyproject.toml`) into a wheel in `out`.

    Its build backend must be pinned in `[build-system] requires`; the backend
    is installed from the cache, so the build works offline once cached.

    Example:
        ```python
        import tempfile
        from pathlib import Path

        from proven.paths import EXAMPLES_DIR
        from proven.venvs import build_wheel

        library = EXAMPLES_DIR / "codebase/shared-code/shiprules"
        with tempfile.TemporaryDirectory() as out:
            wheel = build_wheel(library, Path(out))
            assert wheel.name.startswith("shiprules-") and wheel.suffix == ".whl"
        ```
    """
    requires = re.findall(r'"([A-Za-z0-9_.-]+==[^"]+)"', (project / "pyproject.toml").read_text())
    ensure_wheels(requires, cache)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # What git ships of the library, not a reader's build/ or egg-info from a by-hand build.
        source = copy_shipped(project, Path(tmp, project.name))
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index"]
            + ["--find-links", str(cache), "--wheel-dir", str(out), str(source)],
            check=True,
        )
    (wheel,) = out.glob(f"{_normal(project.name)}-*.whl")
    return wheel


def make_venv(
    path: Path,
    requirements: Path,
    wheels: Path = WHEEL_CACHE,
    find_links: Iterable[Path] = (),
) -> Path:
    r"""Create a virtual environment at `path` holding exactly what `requirements` declares.

    The environment does not see the system's site-packages, and pip installs
    with `--no-deps --no-index` from the local `wheels` folder: a package the
    file does not name is absent, even if the declared ones need it. Pins
    missing from `wheels` are downloaded there first, except those found in
    the extra `find_links` folders (e.g. a library built by `build_wheel`).
    Returns the environment's `python`.

    Example:
        ```python
        import subprocess
        import tempfile
        from pathlib import Path

        from proven.venvs import ensure_wheels, make_venv

        with tempfile.TemporaryDirectory() as tmp:
            declared = Path(tmp, "requirements.txt")
            declared.write_text("itsdangerous==2.2.0\n")
            python = make_venv(Path(tmp, "env"), declared, ensure_wheels(["itsdangerous==2.2.0"]))
            ok = subprocess.run([python, "-c", "import itsdangerous"])
            missing = subprocess.run([python, "-c", "import flask"], capture_output=True)
            assert ok.returncode == 0 and missing.returncode == 1
        ```
    """
    extra = list(find_links)
    pins = read_requirements(requirements)
    ensure_wheels([r for r in pins if not any(_has_wheel(f, r) for f in extra)], wheels)
    links = [arg for folder in (wheels, *extra) for arg in ("--find-links", str(folder))]
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
        + ["--no-deps", "--no-index", *links, "-r", str(requirements)],
        check=True,
    )
    return python


def venv_gunicorn(python: Path):
    """A `CommandBuilder` that serves `app:app` with gunicorn from the environment of `python`.

    Example:
        ```python
        from pathlib import Path

        from proven.venvs import venv_gunicorn

        argv = venv_gunicorn(Path("/env/bin/python"))(Path("examples/x/good"), 0)
        assert argv[:3] == ["/env/bin/python", "-m", "gunicorn"]
        ```
    """
    from proven.processes import gunicorn_command

    def command(example: Path, port: int) -> list[str]:
        return [str(python), *gunicorn_command(example, port)[1:]]

    return command
