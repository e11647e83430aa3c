"""Proofs for Factor I: one repository deployed many times, or a copy of the code per deploy.

Both proofs run the same steps on either twin. A twin's `deploys.toml` holds the
platform's settings: the repositories the shop keeps, each made from a folder of
the twin, and the repository each environment deploys from. The proof makes those
repositories with real git, commits the code as it was before a fix, deploys every
environment the way the platform does (the newest commit on `main` of its
repository, exported with `git archive` and started with gunicorn), then commits
the fix and deploys again.
"""

from __future__ import annotations

import subprocess
import tomllib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import requests

from proven import AppProcess, claim
from proven.git import Repo
from proven.paths import EXAMPLES_DIR

EXAMPLE = EXAMPLES_DIR / "codebase/deploys"
FEES = {"staging": "0.50", "production": "4.95"}
"""Each environment's config: the shipping fee it charges below 50.00."""
BUG, FIX = "total > FREE_FROM", "total >= FREE_FROM"
TOTALS = ["20.00", "49.99", "50.00", "120.00"]


def first_version(folder: Path) -> dict[str, str | Path]:
    """The files of a copy as first committed: before the fix (an order of 50.00 pays)."""
    source = (folder / "app.py").read_text()
    assert FIX in source
    # The placeholder is written here, not copied: an archive of this project (a GitHub zip)
    # would already have filled in examples/.../REVISION with the project's own commit.
    return {
        "app.py": source.replace(FIX, BUG),
        "REVISION": "$Format:%H$\n",
        ".gitattributes": folder / ".gitattributes",
    }


def fixed(repo: Repo) -> dict[str, str]:
    """The fix, as a change to a repository's files: an order of exactly 50.00 ships free."""
    source = (repo.path / "app.py").read_text()
    assert BUG in source
    return {"app.py": source.replace(BUG, FIX)}


class Shop:
    """A twin's repositories and environments, as its `deploys.toml` describes them.

    Each repository is made from a folder of the twin and holds one commit, the code
    before the fix. `deploy` is the platform's one way to update an environment.
    """

    def __init__(self, twin: Path, folder: Path, start_app: Callable[..., AppProcess]) -> None:
        settings = tomllib.loads((twin / "deploys.toml").read_text())
        self.folder, self.start_app = folder, start_app
        self.repos: dict[str, Repo] = {}
        for name, code in settings["repositories"].items():
            repo = self.repos[name] = Repo.init(folder / name)
            repo.commit("Quote shipping", first_version(twin / code))
            repo.git("config", "receive.denyCurrentBranch", "updateInstead")  # accepts pushes
        self.source = {env: self.repos[name] for env, name in settings["environments"].items()}
        """The repository each environment deploys from."""
        self.first = {env: repo.head() for env, repo in self.source.items()}
        """The commit each environment's repository started with: the code before the fix."""
        self.running: dict[str, AppProcess] = {}

    def deploy(self, env: str) -> AppProcess:
        """Deploy an environment: export the newest commit on `main` of its repository into a
        fresh folder and start it there with the environment's fee, in place of the old one."""
        if env in self.running:
            self.running.pop(env).close()
        repo = self.source[env]
        folder = self.folder / f"deploy-{env}-{repo.git('rev-parse', 'main')[:7]}"
        app = self.start_app(repo.export("main", folder), env={"SHIPPING_FEE": FEES[env]})
        self.running[env] = app
        return app

    def deploy_all(self) -> dict[str, tuple[str, str]]:
        """Deploy every environment; answer what each runs: (commit id, fee quoted for 50.00)."""
        apps = {env: self.deploy(env) for env in self.source}
        return {env: (revision(app), quotes(app, ["50.00"])[0]) for env, app in apps.items()}

    def fix_in(self, env: str) -> str:
        """Commit the fix once, as a developer does: clone the repository `env` deploys from,
        commit the fix there, push it. Returns the fix's commit id."""
        clone = Repo.clone(self.source[env], self.folder / "laptop")
        fix = clone.commit("Ship free from exactly 50.00", fixed(clone))
        clone.git("push", "--quiet", "origin", "main")
        return fix


def revision(app: AppProcess) -> str:
    """The commit id a deploy says it runs."""
    return requests.get(f"{app.url}/", timeout=5).json()["revision"]


def quotes(app: AppProcess, totals: list[str] = TOTALS) -> list[str]:
    """The shipping fee a deploy quotes for each order total."""
    return [
        requests.get(f"{app.url}/shipping?total={total}", timeout=5).json()["fee"]
        for total in totals
    ]


def fixed_rule(fee: str) -> list[str]:
    """What the fixed shipping rule answers for TOTALS with a deploy's fee."""
    return ["0.00" if Decimal(total) >= Decimal("50.00") else fee for total in TOTALS]


def root_commits(repo: Repo) -> set[str]:
    """The commits a repository's history starts from: repositories sharing one are one codebase."""
    return set(repo.git("rev-list", "--max-parents=0", "HEAD").split())


def has_commit(repo: Repo, commit: str) -> bool:
    """Whether `commit` is a commit of this repository."""
    try:
        repo.git("cat-file", "-e", f"{commit}^{{commit}}")
    except subprocess.CalledProcessError:
        return False
    return True


def short(commit: str) -> str:
    return commit[:7]


@claim(
    "one-codebase-many-deploys",
    "Two deploys of one codebase run one commit: both report its id, and they answer alike "
    "except where their config differs. Two copies of the code, even with the same fix "
    "committed to each, are two codebases: their deploys report commits of two histories "
    "that share no root commit.",
)
def test_one_commit_two_deploys(tmp_path, start_app, observe):
    """Make each twin's repositories as its deploys.toml says, commit the fix to every one of
    them, deploy staging and production, and ask each deploy its commit and four quotes."""
    seen = {}
    for twin in ("bad", "good"):
        shop = Shop(EXAMPLE / twin, tmp_path / twin, start_app)
        for repo in shop.repos.values():
            repo.commit("Ship free from exactly 50.00", fixed(repo))
        shop.deploy_all()
        revisions = {env: revision(app) for env, app in shop.running.items()}
        answers = {env: quotes(app) for env, app in shop.running.items()}
        roots = {env: root_commits(repo) for env, repo in shop.source.items()}
        seen[twin] = (shop, revisions, answers, roots["staging"] & roots["production"])

    def said(twin: str) -> str:
        shop, revisions, answers, shared = seen[twin]
        alike = sum(answers[env] == fixed_rule(FEES[env]) for env in answers)
        repos = f"{len(shop.repos)} repositor{'y' if len(shop.repos) == 1 else 'ies'}"
        return (
            f"staging reported commit {short(revisions['staging'])}, production "
            f"{short(revisions['production'])}, deployed from {repos} (root commits in common: "
            f"{len(shared)}); {alike} of 2 answered {len(TOTALS)} totals by the fixed rule with "
            "their own fee"
        )

    observe(bad=said("bad"), good=said("good"))

    for twin in ("bad", "good"):
        _, _, answers, _ = seen[twin]
        assert answers == {env: fixed_rule(fee) for env, fee in FEES.items()}
    good, good_revisions, _, good_shared = seen["good"]
    assert good_revisions == {env: good.source[env].head() for env in FEES}
    assert good_revisions["staging"] == good_revisions["production"] and good_shared
    bad, bad_revisions, _, bad_shared = seen["bad"]
    assert bad_revisions["staging"] != bad_revisions["production"] and bad_shared == set()
    for env, other in (("staging", "production"), ("production", "staging")):
        assert has_commit(bad.source[env], bad_revisions[env])
        assert not has_commit(bad.source[other], bad_revisions[env])


@claim(
    "copy-per-environment",
    "A fix committed once, to the repository staging deploys from, then every environment "
    "redeployed the same way: with a copy of the code per environment, staging runs the fix's "
    "commit and quotes 0.00 for an order of 50.00, while production runs the commit it ran "
    "before, its repository has no fix commit, and it still charges 4.95; with one codebase "
    "both environments run the fix's commit and quote 0.00. Before the fix every environment "
    "of both shops charged its own fee for 50.00.",
)
def test_a_fix_reaches_every_deploy_only_from_one_codebase(tmp_path, start_app, observe):
    """Make each twin's repositories as its deploys.toml says and deploy both environments;
    clone the repository staging deploys from, commit the fix once and push it; deploy both
    environments again, the same way. Ask each deploy, before and after, its commit and its
    quote for an order of exactly 50.00."""
    seen = {}
    for twin in ("bad", "good"):
        shop = Shop(EXAMPLE / twin, tmp_path / twin, start_app)
        before = shop.deploy_all()
        fix = shop.fix_in("staging")
        after = shop.deploy_all()
        holders = {env for env, repo in shop.source.items() if has_commit(repo, fix)}
        seen[twin] = (shop, before, fix, after, holders)

    def said(twin: str) -> str:
        _, before, fix, after, holders = seen[twin]

        def runs(state: dict[str, tuple[str, str]]) -> str:
            return ", ".join(
                f"{env} {fee} at {short(commit)}" for env, (commit, fee) in state.items()
            )

        return (
            f"50.00 before: {runs(before)}; fix {short(fix)} committed once, in the "
            f"repositories of {len(holders)} of 2; after: {runs(after)}"
        )

    observe(bad=said("bad"), good=said("good"))

    for twin in ("bad", "good"):
        shop, before, _, _, _ = seen[twin]
        assert before == {env: (shop.first[env], FEES[env]) for env in FEES}
    bad, bad_before, bad_fix, bad_after, bad_holders = seen["bad"]
    assert bad_after == {"staging": (bad_fix, "0.00"), "production": bad_before["production"]}
    assert bad_holders == {"staging"}
    good, good_before, good_fix, good_after, good_holders = seen["good"]
    assert good_before["staging"][0] == good_before["production"][0]
    assert good_after == {"staging": (good_fix, "0.00"), "production": (good_fix, "0.00")}
    assert good_holders == {"staging", "production"}
