"""Real git repositories, made by a proof in a temporary folder.

Proofs about codebases and releases need history: a first commit, a fix, a
second repository that was copied from the first. [`Repo`][proven.git.Repo]
drives the real `git` program with a fixed author and no user or system
configuration, so the same steps give the same kind of history on any machine.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from collections.abc import Mapping
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Proof",
    "GIT_AUTHOR_EMAIL": "proof@example.org",
    "GIT_COMMITTER_NAME": "Proof",
    "GIT_COMMITTER_EMAIL": "proof@example.org",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
"""Environment for every git command: a fixed author, no personal or system config."""


class Repo:
    r"""A git repository in a folder: write files, commit them, read ids, export a commit.

    Example:
        ```python
        import tempfile
        from pathlib import Path

        from proven.git import Repo

        with tempfile.TemporaryDirectory() as tmp:
            repo = Repo.init(Path(tmp, "shop"))
            first = repo.commit("first", {"app.py": "print('v1')\n"})
            second = repo.commit("second", {"app.py": "print('v2')\n"})
            assert first != second == repo.head()
            deploy = repo.export(first, Path(tmp, "deploy"))
            assert (deploy / "app.py").read_text() == "print('v1')\n"
        ```
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def init(cls, path: Path) -> Repo:
        """Create an empty repository whose first branch is `main`."""
        Path(path).mkdir(parents=True, exist_ok=True)
        repo = cls(path)
        repo.git("init", "--quiet", "--initial-branch=main")
        return repo

    @classmethod
    def clone(cls, source: Repo, path: Path) -> Repo:
        """Clone `source` into `path` (a working copy that can `git pull` from it)."""
        subprocess.run(
            ["git", "clone", "--quiet", str(source.path), str(path)],
            check=True,
            capture_output=True,
            env={**os.environ, **GIT_ENV},
        )
        return cls(path)

    def git(self, *args: str) -> str:
        """Run one git command in the repository and return what it printed."""
        done = subprocess.run(
            ["git", *args],
            cwd=self.path,
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, **GIT_ENV},
        )
        return done.stdout.strip()

    def commit(self, message: str, files: Mapping[str, str | bytes | Path]) -> str:
        """Write `files` (text, bytes, or a path to copy), commit them all, return the commit id."""
        for name, content in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copyfile(content, target)
            elif isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)
        self.git("add", "--all")
        self.git("commit", "--quiet", "--message", message)
        return self.head()

    def head(self) -> str:
        """The commit id that `HEAD` points at."""
        return self.git("rev-parse", "HEAD")

    def export(self, commit: str, folder: Path) -> Path:
        """Write the files of `commit` into `folder` with `git archive` (no `.git` inside)."""
        Path(folder).mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", "--format=tar", commit],
            cwd=self.path,
            check=True,
            capture_output=True,
            env={**os.environ, **GIT_ENV},
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as files:
            files.extractall(folder, filter="data")
        return Path(folder)
