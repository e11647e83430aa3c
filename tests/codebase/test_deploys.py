"""Proofs for Factor I: one repository deployed many times, or a copy of the code per deploy."""

import subprocess
from decimal import Decimal
from pathlib import Path

import requests

from proven import claim
from proven.git import Repo
from proven.paths import EXAMPLES_DIR

EXAMPLE = EXAMPLES_DIR / "codebase/deploys"
COPIES = {"staging": EXAMPLE / "bad" / "staging", "production": EXAMPLE / "bad"}
"""The bad twin's copies of the code: production's, and staging's copy of it in staging/."""
FEES = {"staging": "0.50", "production": "4.95"}
"""Each deploy's config: the shipping fee it charges below 50.00."""
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


def commit_fix(repo: Repo) -> str:
    """Commit the fix: an order of exactly 50.00 ships free."""
    source = (repo.path / "app.py").read_text()
    return repo.commit("Ship free from exactly 50.00", {"app.py": source.replace(BUG, FIX)})


def revision(app) -> str:
    """The commit id a deploy says it runs."""
    return requests.get(f"{app.url}/", timeout=5).json()["revision"]


def quotes(app, totals: list[str] = TOTALS) -> list[str]:
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
    """Commit the good app and a fix to one git repository, export that commit twice with
    `git archive` and start staging and production with different fees. Commit each of the
    bad twin's copies to its own repository, commit the fix to each, and deploy both."""
    shop = Repo.init(tmp_path / "shop")
    shop.commit("Quote shipping", first_version(EXAMPLE / "good"))
    commit = commit_fix(shop)
    good = {
        name: start_app(shop.export(commit, tmp_path / name), env={"SHIPPING_FEE": fee})
        for name, fee in FEES.items()
    }

    copies, bad = {}, {}
    for name, folder in COPIES.items():
        copies[name] = Repo.init(tmp_path / f"shop-{name}")
        copies[name].commit("Quote shipping", first_version(folder))
        head = commit_fix(copies[name])
        deploy = copies[name].export(head, tmp_path / f"bad-{name}")
        bad[name] = start_app(deploy, env={"SHIPPING_FEE": FEES[name]})

    good_revisions = {name: revision(app) for name, app in good.items()}
    good_quotes = {name: quotes(app) for name, app in good.items()}
    bad_revisions = {name: revision(app) for name, app in bad.items()}
    bad_quotes = {name: quotes(app) for name, app in bad.items()}
    shared_roots = root_commits(copies["staging"]) & root_commits(copies["production"])
    observe(
        bad=f"staging reported commit {short(bad_revisions['staging'])}, production "
        f"{short(bad_revisions['production'])}; the two repositories share {len(shared_roots)} "
        f"root commits (each copy answered the fixed rule for {len(TOTALS)} totals)",
        good=f"staging and production both reported commit {short(good_revisions['staging'])}; "
        f"each answered {len(TOTALS)} of {len(TOTALS)} totals by one rule with its own fee",
    )

    assert good_revisions == {"staging": commit, "production": commit}
    assert good_quotes == {name: fixed_rule(fee) for name, fee in FEES.items()}

    assert bad_quotes == {name: fixed_rule(fee) for name, fee in FEES.items()}
    assert bad_revisions["staging"] != bad_revisions["production"]
    assert shared_roots == set()
    for name, other in (("staging", "production"), ("production", "staging")):
        assert has_commit(copies[name], bad_revisions[name])
        assert not has_commit(copies[other], bad_revisions[name])


@claim(
    "copy-per-environment",
    "With a copy of the code per environment, a fix committed once reaches only the copy it "
    "was committed to, and the two deploys answer the same order differently; with one "
    "codebase the fix is committed once and both deploys of that commit have it.",
)
def test_a_fix_reaches_every_deploy_only_from_one_codebase(tmp_path, start_app, observe):
    """Commit each of the bad twin's copies to its own repository, commit the fix once, to
    the staging copy where the bug was noticed, and deploy each copy's newest commit. Commit
    the same fix once to the good app's one repository and deploy its newest commit to both
    environments. Ask every deploy to quote an order of exactly 50.00."""
    copies, bad = {}, {}
    for name, folder in COPIES.items():
        copies[name] = Repo.init(tmp_path / f"shop-{name}")
        copies[name].commit("Quote shipping", first_version(folder))
    commit_fix(copies["staging"])
    for name, copy in copies.items():
        deploy = copy.export(copy.head(), tmp_path / f"bad-{name}")
        bad[name] = start_app(deploy, env={"SHIPPING_FEE": FEES[name]})

    shop = Repo.init(tmp_path / "shop")
    shop.commit("Quote shipping", first_version(EXAMPLE / "good"))
    fix = commit_fix(shop)
    good = {}
    for name, fee in FEES.items():
        good[name] = start_app(shop.export(shop.head(), tmp_path / name), env={"SHIPPING_FEE": fee})

    bad_quotes = {name: quotes(app, ["50.00"])[0] for name, app in bad.items()}
    good_quotes = {name: quotes(app, ["50.00"])[0] for name, app in good.items()}
    production_history = copies["production"].git("log", "--format=%s").splitlines()
    observe(
        bad=f"fix committed to staging's copy: for 50.00 staging quoted {bad_quotes['staging']}, "
        f"production {bad_quotes['production']} (its history: {len(production_history)} "
        f"commit, no fix)",
        good=f"fix committed once ({short(fix)}): for 50.00 staging quoted "
        f"{good_quotes['staging']}, production {good_quotes['production']}",
    )

    assert bad_quotes == {"staging": "0.00", "production": "4.95"}
    assert production_history == ["Quote shipping"]
    assert good_quotes == {"staging": "0.00", "production": "0.00"}
    assert {revision(app) for app in good.values()} == {fix}
