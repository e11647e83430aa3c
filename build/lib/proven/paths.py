"""Where the project's parts are: the site, the examples, the proofs; and what a deploy ships.

The root is the checkout under test, taken from where the run is: the nearest
folder at or above the working directory that holds `mkdocs.yml` and
`examples/`. One virtualenv can serve several checkouts (a git worktree, a
second clone): pytest run in a checkout proves that checkout's examples, not
those of the checkout the package was installed from. The pytest plugin
refuses a run whose rootdir is another checkout than this root (see
`proven.plugin.pytest_configure`). The check command (`proven check`) uses
none of these folders: it runs against a team's own app.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT_VARIABLE = "PROVEN_ROOT"
"""Names the copy of the project to prove, overriding the working directory's checkout.

The swap check sets it to the copy it runs the proofs in (`tools/swap_check.py`).
"""


def find_root(start: Path) -> Path | None:
    """The checkout that holds `start`: the nearest folder at or above it with `mkdocs.yml`
    and `examples/`, or `None` outside any checkout.

    `examples/` as well as `mkdocs.yml`, so that a team's own MkDocs project is
    never taken for this one.

    Example:
        ```python
        import tempfile
        from pathlib import Path

        from proven.paths import ROOT, find_root

        assert find_root(ROOT / "examples" / "stateless-processes") == ROOT
        with tempfile.TemporaryDirectory() as elsewhere:
            assert find_root(Path(elsewhere)) is None
        ```
    """
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / "mkdocs.yml").is_file() and (folder / "examples").is_dir():
            return folder
    return None


def _root() -> Path:
    """`PROVEN_ROOT`, else the working directory's checkout, else the package's own checkout.

    The last is only a fallback for a tool started outside any checkout, from an
    editable install; under pytest the plugin checks that the root is the run's.
    """
    override = os.environ.get(ROOT_VARIABLE)
    if override:
        return Path(override).resolve()
    return find_root(Path.cwd()) or Path(__file__).resolve().parents[2]


ROOT = _root()
"""The project's root: the folder of `mkdocs.yml`, `docs/`, `examples/`, `tests/`."""

DOCS_DIR = ROOT / "docs"
"""The site's pages: `docs/<page-slug>.md`."""

EXAMPLES_DIR = ROOT / "examples"
"""The example pairs: `examples/<page-slug>/<scenario>/{bad,good}/`."""

TESTS_DIR = ROOT / "tests"
"""The proofs: `tests/<page-slug>/test_*.py`."""

PACKAGE_DIR = ROOT / "src" / "proven"
"""This package, `src/proven/`: its modules are part of every proof's fingerprint."""


def shipped_files(folder: Path) -> list[Path]:
    r"""The files of `folder` that a deploy ships, sorted: never what running it left there.

    In a git work tree these are the files `git add --all` would commit: those
    git tracks and new ones it does not ignore (a new example counts before its
    first commit). Python's `__pycache__/` and the files the examples write into
    their own folder when a reader runs them by hand are ignored (`.gitignore`),
    so they never count. Outside git (an unpacked archive, the swap check's
    copy) every file counts but Python's caches.

    Example:
        ```python
        import tempfile
        from pathlib import Path

        from proven.paths import EXAMPLES_DIR, shipped_files

        good = EXAMPLES_DIR / "stateless-processes/hit-counter/good"
        cache = good / "__pycache__"
        assert good / "app.py" in shipped_files(good)
        assert not any(cache in path.parents for path in shipped_files(good))
        with tempfile.TemporaryDirectory() as loose:
            Path(loose, "app.py").write_text("app = None\n")
            Path(loose, "__pycache__").mkdir()
            Path(loose, "__pycache__", "app.cpython-311.pyc").write_bytes(b"\0")
            assert shipped_files(Path(loose)) == [Path(loose, "app.py")]
        ```
    """
    folder = Path(folder)
    names = _git_files(folder)
    if names is not None:
        # A tracked file deleted from the work tree is listed but not shipped.
        return sorted(path for path in map(folder.joinpath, names) if path.is_file())
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.relative_to(folder).parts
        and path.suffix != ".pyc"
    )


def _git_files(folder: Path) -> set[str] | None:
    """What `git add --all` would commit of `folder`, or `None` outside a git work tree."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            cwd=folder,
            capture_output=True,
        )
    except OSError:  # no git on this machine (a site build, say), or no such folder
        return None
    if listed.returncode != 0:
        return None
    return {name for name in os.fsdecode(listed.stdout).split("\0") if name}


def copy_shipped(folder: Path, target: Path) -> Path:
    """Copy the files of `folder` a deploy ships (see `shipped_files`) into `target`.

    `target` must not exist yet. File modes are kept (an executable script
    stays executable). Returns `target`.

    Example:
        ```python
        import tempfile
        from pathlib import Path

        from proven.paths import EXAMPLES_DIR, copy_shipped

        with tempfile.TemporaryDirectory() as tmp:
            copy = copy_shipped(EXAMPLES_DIR / "config/credentials/good", Path(tmp, "artifact"))
            assert (copy / "app.py").is_file()
            assert not (copy / "__pycache__").exists()
        ```
    """
    folder, target = Path(folder), Path(target)
    target.mkdir(parents=True)
    for path in shipped_files(folder):
        copy = target / path.relative_to(folder)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy, follow_symlinks=False)
    return target
