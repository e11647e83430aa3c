"""MkDocs hook: shows each claim beside its proof, and builds the proof ledger.

A page line `!proof <claim-id>` becomes the claim sentence, the proof's
summary, the proof's code (included from `tests/` by `pymdownx.snippets`, so
the page shows exactly what runs) and the command that runs just that proof.
Under the claim, the box shows what its proof observed for each twin on its
passing run, read from `tests/<page>/observations.json` (the build runs
no proof). The line `!proof-ledger` becomes the table of every claim on the
site. The build fails when a page names an unknown claim, shows another page's
claim, or leaves out one of its own, and warns (an error under `--strict`)
when a claim has no current observation.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from proven.claims import PROOF_LINE, Claim, collect_claims
from proven.observations import Observation, load_observations, problem

log = logging.getLogger("mkdocs.hooks.proofs")

LEDGER_LINE = "!proof-ledger"
INDENTED_PROOF_LINE = re.compile(r"^[ \t]+!proof (?P<id>\S+)[ \t]*$", re.MULTILINE)

_claims: dict[str, Claim] = {}
_titles: dict[str, str] = {}
_observed: dict[str, Observation] = {}


def _nav_titles(nav: Iterable[object]) -> Iterable[tuple[str, str]]:
    for entry in nav:
        if isinstance(entry, dict):
            for title, target in entry.items():
                if isinstance(target, str):
                    yield target.removesuffix(".md"), title
                else:
                    yield from _nav_titles(target)


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Read every claim from `tests/` once per build and check the ids are unique."""
    _claims.clear()
    for found in collect_claims():
        if found.id in _claims:
            raise PluginError(
                f"claim id '{found.id}' is declared twice: "
                f"{_claims[found.id].node_id} and {found.node_id}"
            )
        _claims[found.id] = found
    _titles.clear()
    _titles.update(_nav_titles(config.nav or []))
    _observed.clear()
    for page in {found.page for found in _claims.values()}:
        _observed.update(load_observations(page))
    for found in _claims.values():
        reason = problem(found, _observed.get(found.id))
        if reason:
            log.warning(reason)
    return config


def _permalink(anchor: str) -> str:
    return f'[¶](#{anchor}){{ .claim-link title="Link to this claim" }}'


def render_observation(found: Claim) -> str:
    """What the proof observed for each twin, and when, as a short list."""
    seen = _observed.get(found.id)
    if seen is None:
        return '<p class="claim-observed">Not observed yet: run the proof below.</p>'
    return f"""<div class="claim-observed" markdown>

<span class="claim-observed-label">Observed</span> on a passing run, {seen.observed_on}:

- **Bad twin:** {seen.bad}
- **Good twin:** {seen.good}

</div>"""


def _line_ranges(found: Claim) -> str:
    """The proof's shown lines as `pymdownx.snippets` takes them: `12:12,14:15,17:40`."""
    return ",".join(f"{first}:{last}" for first, last in found.shown_lines)


def render_claim(found: Claim) -> str:
    """The Markdown that shows one claim with its proof."""
    return f"""
<div class="claim" id="{found.id}" markdown>

<span class="claim-label">Claim</span> **{found.text}** {_permalink(found.id)}

{render_observation(found)}

{found.summary}

??? example "The proof: `{found.test}`"

    ```python title="{found.path.as_posix()}"
    --8<-- "{found.path.as_posix()}:{_line_ranges(found)}"
    ```

Run just this proof: `pytest "{found.node_id}"`

</div>
"""


def render_ledger() -> str:
    """The Markdown table of every claim on the site, grouped by page."""
    rank = {page: number for number, page in enumerate(_titles)}
    pages = sorted({c.page for c in _claims.values()}, key=lambda page: rank.get(page, len(rank)))
    lines = [f"{len(_claims)} claims on {len(pages)} pages, each proven by the test beside it.", ""]
    for page in pages:
        lines += [
            f"## {_titles.get(page, page)}",
            "",
            "| Claim | Observed | Proof |",
            "| --- | --- | --- |",
        ]
        for found in (c for c in _claims.values() if c.page == page):
            seen = _observed.get(found.id)
            observed = (
                f"Bad: {seen.bad}<br>Good: {seen.good}<br>*{seen.observed_on}*".replace("|", r"\|")
                if seen
                else "not observed yet"
            )
            lines.append(
                f"| [{found.text}]({page}.md#{found.id}) | {observed} | `{found.node_id}` |"
            )
        lines.append("")
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Replace `!proof` lines with claims and `!proof-ledger` with the ledger."""
    slug = page.file.src_uri.removesuffix(".md")
    shown: set[str] = set()

    def replace(match: object) -> str:
        claim_id = match["id"]  # type: ignore[index]
        found = _claims.get(claim_id)
        if found is None:
            raise PluginError(
                f"{page.file.src_uri}: `!proof {claim_id}` names no claim; declare it with "
                f"@claim('{claim_id}', '...') on a test in tests/{slug}/"
            )
        if found.page != slug:
            raise PluginError(
                f"{page.file.src_uri}: claim '{claim_id}' belongs to page '{found.page}' "
                f"({found.node_id}); link to it instead of showing it here"
            )
        shown.add(claim_id)
        return render_claim(found)

    indented = INDENTED_PROOF_LINE.search(markdown)
    if indented:
        raise PluginError(
            f"{page.file.src_uri}: `!proof {indented['id']}` is indented; a `!proof` line "
            "starts at the beginning of its line, outside any list or admonition"
        )
    markdown = PROOF_LINE.sub(replace, markdown)
    missing = [c for c in _claims.values() if c.page == slug and c.id not in shown]
    if missing:
        raise PluginError(
            f"{page.file.src_uri}: these claims of this page are not shown; add a line "
            f"`!proof <id>` for each: "
            + ", ".join(f"{c.id} (declared by {c.node_id})" for c in missing)
        )
    return markdown.replace(LEDGER_LINE, render_ledger())
