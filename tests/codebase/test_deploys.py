"""Proofs for Factor I: one repository deployed many times, or a copy per environment."""

from pathlib import Path

import requests

from harness import claim
from harness.git import Repo
from harness.processes import EXAMPLES_DIR

EXAMPLE = EXAMPLES_DIR / "codebase/deploys"
BUG, FIX = "total > FREE_FROM", "total >= FREE_FROM"


def first_version(twin: str, fee: str = "4.95") -> dict[str, str | Path]:
    """The twin's files as first committed: before the fix, and with `fee` if it is in the code."""
    source = (EXAMPLE / twin / "app.py").read_text()
    assert FIX in source
    source = source.replace(FIX, BUG).replace('Decimal("4.95")', f'Decimal("{fee}")')
    # The placeholder is written here, not copied: an archive of this project (a GitHub zip)
    # would already have filled in examples/.../REVISION with the project's own commit.
    return {
        "app.py": source,
        "REVISION": "$Format:%H$\n",
        ".gitattributes": EXAMPLE / twin / ".gitattributes",
    }


def commit_fix(repo: Repo) -> str:
    """Commit the fix: an order of exactly 50.00 ships free."""
    source = (repo.path / "app.py").read_text()
    return repo.commit("Ship free from exactly 50.00", {"app.py": source.replace(BUG, FIX)})


def get(app, path: str) -> dict[str, str]:
    return requests.get(f"{app.url}{path}", timeout=5).json()


def fee(app, total: str) -> str:
    return get(app, f"/shipping?total={total}")["fee"]


@claim(
    "one-codebase-many-deploys",
    "Two deploys of one commit report the same commit id and differ only where their config "
    "says so.",
)
def test_one_commit_two_deploys(tmp_path, start_app):
    """Commit the good app and a fix to a new git repository, export that commit twice with
    `git archive` and start the two deploys with different config. Try the same with the bad
    app, whose settings are in its code."""
    shop = Repo.init(tmp_path / "shop")
    shop.commit("Quote shipping", first_version("good"))
    commit = commit_fix(shop)
    staging = start_app(shop.export(commit, tmp_path / "staging"), env={"SHIPPING_FEE": "0.50"})
    production = start_app(shop.export(commit, tmp_path / "prod"), env={"SHIPPING_FEE": "4.95"})

    assert get(staging, "/") == get(production, "/") == {"revision": commit}
    assert (fee(staging, "20.00"), fee(production, "20.00")) == ("0.50", "4.95")
    assert fee(staging, "50.00") == fee(production, "50.00") == "0.00"

    bad_shop = Repo.init(tmp_path / "bad-shop")
    bad_shop.commit("Quote shipping", first_version("bad"))
    bad_commit = commit_fix(bad_shop)
    staging = start_app(bad_shop.export(bad_commit, tmp_path / "b1"), env={"SHIPPING_FEE": "0.50"})
    assert fee(staging, "20.00") == "4.95"  # staging would need its own, edited copy


@claim(
    "copy-per-environment",
    "With a copy of the code per environment, a fix committed to one copy is missing from the "
    "other, and the two deploys answer the same request differently; with one codebase the fix "
    "is committed once and every deploy of it has it.",
)
def test_a_fix_reaches_every_deploy_only_from_one_codebase(tmp_path, start_app):
    """Keep the bad app as two repositories, a staging copy and a production copy, and commit
    a fix to the staging copy. Then commit the same fix once to the good app's one repository
    and deploy its new commit to both environments. Ask every deploy to quote 50.00."""
    staging_copy = Repo.init(tmp_path / "shop-staging")
    staging_copy.commit("Quote shipping", first_version("bad", fee="0.50"))
    commit_fix(staging_copy)
    production_copy = Repo.init(tmp_path / "shop-production")
    production_copy.commit("Quote shipping", first_version("bad"))
    bad = {
        name: start_app(copy.export(copy.head(), tmp_path / f"bad-{name}"))
        for name, copy in (("staging", staging_copy), ("production", production_copy))
    }
    assert fee(bad["staging"], "50.00") == "0.00"
    assert fee(bad["production"], "50.00") == "4.95"
    assert get(bad["staging"], "/") != get(bad["production"], "/")  # two histories

    shop = Repo.init(tmp_path / "shop")
    shop.commit("Quote shipping", first_version("good"))
    commit = commit_fix(shop)
    good = {
        name: start_app(shop.export(commit, tmp_path / name), env={"SHIPPING_FEE": shipping})
        for name, shipping in (("staging", "0.50"), ("production", "4.95"))
    }
    assert fee(good["staging"], "50.00") == fee(good["production"], "50.00") == "0.00"
