"""A tiny release tool: build, release and run are three commands that never mix.

    python release.py --home DIR build REPO COMMIT        prints the artifact's content hash
    python release.py --home DIR release HASH KEY=VALUE…  prints the new release id (v1, v2, …)
    python release.py --home DIR run RELEASE_ID [--port N]  becomes the app's server
    python release.py --home DIR list                     prints the ledger

`DIR/builds/<hash>/` holds an artifact: the commit's files (`app/`) and every
declared dependency installed beside them (`vendor/`), named by the SHA-256 of
its content. Builds reuse the install of an identical `requirements.txt`
(`DIR/cache/`), as build platforms cache dependencies.

`DIR/ledger.jsonl` holds the releases, one JSON line each, each sealed with a
digest of its content and of the release before it. The tool only ever
appends to the ledger, and `run` refuses a release whose ledger entry or
artifact no longer matches what was recorded.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path


class Refused(Exception):
    """The tool will not do what was asked; the message says why."""


def content_hash(tree: Path) -> str:
    """SHA-256 of every file's path, executable bit and bytes, in a stable order."""
    digest = hashlib.sha256()
    for path in sorted(tree.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts:
            continue
        relative = path.relative_to(tree).as_posix()
        executable = "x" if os.access(path, os.X_OK) else "-"
        digest.update(f"{relative}\0{executable}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def install_dependencies(requirements: Path, vendor: Path, cache: Path) -> None:
    """Install the declared dependencies into `vendor`, reusing an earlier identical install."""
    cached = cache / hashlib.sha256(requirements.read_bytes()).hexdigest()
    if not cached.is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache) as work:
            subprocess.run(
                [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile"]
                + ["--target", work + "/vendor", "-r", str(requirements)],
                check=True,
            )
            Path(work, "vendor").rename(cached)
    shutil.copytree(cached, vendor, symlinks=True)


def build(home: Path, repo: Path, commit: str) -> str:
    """Turn one commit into an artifact: its files plus its installed dependencies."""
    builds = home / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=builds) as work:
        tree = Path(work, "artifact")
        archive = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", commit],
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as files:
            files.extractall(tree / "app", filter="data")
        install_dependencies(tree / "app" / "requirements.txt", tree / "vendor", home / "cache")
        artifact = content_hash(tree)
        if not (builds / artifact).exists():
            tree.rename(builds / artifact)
    return artifact


def _seal(entry: dict[str, object]) -> str:
    fields = {key: value for key, value in entry.items() if key != "digest"}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def read_ledger(home: Path) -> list[dict[str, object]]:
    """Every release, oldest first, after checking that none was changed."""
    ledger = home / "ledger.jsonl"
    lines = ledger.read_text().splitlines() if ledger.exists() else []
    entries = [json.loads(line) for line in lines]
    previous = None
    for entry in entries:
        if entry.get("previous") != previous or entry.get("digest") != _seal(entry):
            raise Refused(f"release {entry.get('id')} was changed after it was made")
        previous = entry["digest"]
    return entries


def release(home: Path, artifact: str, config: dict[str, str]) -> str:
    """Record artifact + config as a new release, appended to the ledger; return its id."""
    if not (home / "builds" / artifact).is_dir():
        raise Refused(f"no artifact {artifact}: build it first")
    entries = read_ledger(home)
    entry: dict[str, object] = {
        "id": f"v{len(entries) + 1}",
        "artifact": artifact,
        "config": config,
        "previous": entries[-1]["digest"] if entries else None,
    }
    entry["digest"] = _seal(entry)
    with (home / "ledger.jsonl").open("a") as ledger:
        ledger.write(json.dumps(entry, sort_keys=True) + "\n")
    return str(entry["id"])


def run(home: Path, release_id: str, port: int) -> None:
    """Start the release's server: check it is unchanged, then exec gunicorn. Nothing else."""
    found = [entry for entry in read_ledger(home) if entry["id"] == release_id]
    if not found:
        raise Refused(f"no release {release_id}")
    entry = found[0]
    artifact = home / "builds" / str(entry["artifact"])
    if content_hash(artifact) != entry["artifact"]:
        raise Refused(f"the artifact of {release_id} was changed after it was built")
    env = {
        **os.environ,
        **entry["config"],  # type: ignore[dict-item]
        "RELEASE_ID": release_id,
        "PYTHONPATH": str(artifact / "vendor"),
        # Python caches compiled modules beside their source: without this, the first
        # start would write __pycache__ folders into the artifact it runs.
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--preload",
    ]
    argv += ["--no-control-socket", "--pythonpath", str(artifact / "app"), "app:app"]
    os.execve(sys.executable, argv, env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build, release and run, strictly apart.")
    parser.add_argument("--home", type=Path, required=True, help="folder of builds and ledger")
    command = parser.add_subparsers(dest="command", required=True)
    build_cmd = command.add_parser("build", help="commit -> artifact (prints its hash)")
    build_cmd.add_argument("repo", type=Path)
    build_cmd.add_argument("commit")
    release_cmd = command.add_parser("release", help="artifact + config -> release id")
    release_cmd.add_argument("artifact")
    release_cmd.add_argument("config", nargs="*", metavar="KEY=VALUE")
    run_cmd = command.add_parser("run", help="start a release")
    run_cmd.add_argument("release_id")
    run_cmd.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    command.add_parser("list", help="print the ledger")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            print(build(args.home, args.repo, args.commit))
        elif args.command == "release":
            pairs = [item.partition("=") for item in args.config]
            if any(not key or sep != "=" for key, sep, _ in pairs):
                raise Refused("config must be given as KEY=VALUE")
            print(release(args.home, args.artifact, {key: value for key, _, value in pairs}))
        elif args.command == "run":
            run(args.home, args.release_id, args.port)
        else:
            for entry in read_ledger(args.home):
                print(entry["id"], entry["artifact"][:12], json.dumps(entry["config"]))
    except Refused as refusal:
        print(f"release.py: {refusal}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
