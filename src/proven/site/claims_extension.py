"""Python-Markdown extension: shows each claim beside its proof, and builds the proof ledger.

A page line `!proof <claim-id>` becomes the claim sentence, what its proof
observed for each twin on a passing run (read from
`tests/<page>/observations.json`: the build runs no proof), the proof's
summary, its code and the command that runs just that proof. The line
`!proof-ledger` becomes the table of every claim on the site.

It is a Markdown extension, not a MkDocs hook, so that every host that runs
Python-Markdown renders the same claim boxes: MkDocs, and Zensical, which runs
`markdown_extensions` but no hooks. List it in `mkdocs.yml`:

```yaml
markdown_extensions:
  - proven.site.claims_extension:
      tests_dir: tests
      config_file: mkdocs.yml
```

Its preprocessor runs at priority 33, just before `pymdownx.snippets` (32):
a claim box includes its proof's code with a `--8<--` line, which snippets
then resolves (with `check_paths`, a missing file fails the build), exactly
as it resolves the pages' own includes. So a `!proof` line is seen on the page
itself, not in a file the page includes.

Paths are taken relative to the working directory, as snippets takes its
`base_path`. The extension fails the build only on what it cannot render: an
id that names no claim, or a `!proof` line that is indented. The rules that
need the whole site (a claim shown on another page, a claim left out, two
claims with one id, a stale observation) are checked by the site tests
(`tests/site/test_claims.py`, `tests/site/test_observations.py`); under
`mkdocs serve` a box whose observation is stale also carries a warning.

A claim whose observation holds a timeline also shows its picture
(`proven.site.timelines`): a lazily loaded image of the SVG file shipped
beside the pages, which must be exactly the drawing of the stored record.

It imports the standard library, Python-Markdown, PyYAML and the package's
`proven.claims`, `proven.observations`, `proven.timeline` and
`proven.site.timelines` (standard library only): all of
it is in `docs/requirements.txt`, which is what Netlify installs.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from markdown import Markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

from proven.claims import PROOF_LINE, Claim, collect_claims
from proven.observations import Observation, fingerprint, load_observations, update_command
from proven.site.timelines import draw, image_line, picture_path

LEDGER_LINE = "!proof-ledger"
"""The line of a page that becomes the table of every claim on the site."""

INDENTED_PROOF_LINE = re.compile(r"[ \t]+!proof \S+[ \t]*")
FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")

PRIORITY = 33
"""Before `pymdownx.snippets` (32), which includes the proof code a claim box names."""


DEV_SERVER_MODULE = "mkdocs.livereload"
"""MkDocs's live-reload server: only `mkdocs serve` imports it, `mkdocs build` never does."""


def serving() -> bool:
    """True under `mkdocs serve`, the dev server, where a stale observation is marked."""
    return DEV_SERVER_MODULE in sys.modules


def mark_stale(box: str, found: Claim, seen: Observation | None) -> str:
    """The claim box with a warning at its top when its observation is stale.

    Only the dev server marks one: the site tests fail on a stale observation
    (`tests/site/test_observations.py`), so a deployed build never has one to
    show, and a build spends no time on fingerprints.

    Example:
        ```python
        from proven.paths import ROOT, TESTS_DIR
        from proven.site.claims_extension import mark_stale, read_site, render_claim

        site = read_site(TESTS_DIR, ROOT / "mkdocs.yml")
        found = site.claims["shared-secret"]
        box = render_claim(found, site.observed[found.id])
        assert mark_stale(box, found, site.observed[found.id]) == box  # current, or a build
        ```
    """
    if seen is None or not serving() or seen.fingerprint == fingerprint(found):
        return box
    opening = f'<div class="claim" id="{found.id}" markdown>\n'
    warning = f"""
!!! warning "Stale observation (shown by `mkdocs serve` only)"

    What this box says was observed on {seen.observed_on}; the proof, its examples, the
    harness or `requirements.txt` changed since, and CI fails until it runs again:
    `{update_command([found.node_id])}`
"""
    return box.replace(opening, opening + warning, 1)


class ClaimError(ValueError):
    """A `!proof` line the extension cannot render: it fails the build, with what to do."""


@dataclass(frozen=True)
class Site:
    """Every claim of the site, what its proof observed, and the nav's page titles in order."""

    claims: dict[str, Claim]
    observed: dict[str, Observation]
    titles: dict[str, str]
    """Page slug to its title in the nav, in nav order."""


_cache: dict[tuple[str, str], tuple[tuple[tuple[str, int, int], ...], Site]] = {}


def _signature(tests_dir: Path, config_file: Path) -> tuple[tuple[str, int, int], ...]:
    """Path, size and modification time of every file the site's claims are read from."""
    files = [config_file, *sorted(tests_dir.glob("*/test_*.py"))]
    files += sorted(tests_dir.glob("*/observations.json"))
    return tuple(
        (str(path), stat.st_size, stat.st_mtime_ns)
        for path in files
        if path.is_file() and (stat := path.stat())
    )


def _nav_titles(nav: object) -> Iterator[tuple[str, str]]:
    """(page slug, nav title) of every page of `mkdocs.yml`'s `nav:`, in nav order."""
    for entry in nav if isinstance(nav, list) else []:
        for title, target in entry.items() if isinstance(entry, dict) else []:
            if isinstance(target, str):
                yield target.removesuffix(".md"), title
            else:
                yield from _nav_titles(target)


def _read_nav(config_file: Path) -> object:
    """The `nav:` of a MkDocs config file; its `!!python/...` and `!ENV` tags read as None."""

    class Loader(yaml.SafeLoader):
        """Reads `nav:` only: the tags elsewhere in the file are not constructed."""

    Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    if not config_file.is_file():
        return None
    return (yaml.load(config_file.read_text(encoding="utf-8"), Loader=Loader) or {}).get("nav")


def read_site(tests_dir: Path, config_file: Path) -> Site:
    """The site's claims and observations, read once per change of the files they come from.

    MkDocs and Zensical convert each page with a new `Markdown` instance; the
    cache spares every page reading every proof again, and `mkdocs serve`
    still sees an edited proof or a refreshed observation.

    Example:
        ```python
        from proven.paths import ROOT, TESTS_DIR
        from proven.site.claims_extension import read_site

        site = read_site(TESTS_DIR, ROOT / "mkdocs.yml")
        assert site.claims["shared-secret"].page == "processes"
        assert site.titles["processes"] == "VI. Processes"
        ```
    """
    key = (str(tests_dir.resolve()), str(config_file.resolve()))
    signature = _signature(tests_dir, config_file)
    cached = _cache.get(key)
    if cached and cached[0] == signature:
        return cached[1]
    claims: dict[str, Claim] = {}
    for found in collect_claims(tests_dir):
        claims.setdefault(found.id, found)  # two claims with one id: tests/site/test_claims.py
    observed: dict[str, Observation] = {}
    for page in sorted({found.page for found in claims.values()}):
        observed.update(load_observations(page, tests_dir))
    site = Site(claims, observed, dict(_nav_titles(_read_nav(config_file))))
    _cache[key] = (signature, site)
    return site


def _permalink(anchor: str) -> str:
    return f'[¶](#{anchor}){{ .claim-link title="Link to this claim" }}'


def render_observation(seen: Observation | None) -> str:
    """What the proof observed for each twin, and when, as a short list."""
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


def render_claim(found: Claim, seen: Observation | None, picture: str = "") -> str:
    """The Markdown that shows one claim with its proof, and its timeline's `picture` if any.

    Example:
        ```python
        from proven.paths import ROOT, TESTS_DIR
        from proven.site.claims_extension import read_site, render_claim

        site = read_site(TESTS_DIR, ROOT / "mkdocs.yml")
        box = render_claim(site.claims["shared-secret"], None)
        assert '<div class="claim" id="shared-secret" markdown>' in box
        assert "Not observed yet" in box
        ```
    """
    path = found.path.as_posix()
    return f"""
<div class="claim" id="{found.id}" markdown>

<span class="claim-label">Claim</span> **{found.text}** {_permalink(found.id)}

{render_observation(seen)}

{picture}

{found.summary}

??? example "The proof: `{found.test}`"

    ```python title="{path}"
    --8<-- "{path}:{_line_ranges(found)}"
    ```

Run just this proof: `pytest "{found.node_id}"`

</div>
"""


def render_ledger(site: Site) -> str:
    """The Markdown table of every claim on the site, grouped by page in nav order.

    Example:
        ```python
        from proven.paths import ROOT, TESTS_DIR
        from proven.site.claims_extension import read_site, render_ledger

        ledger = render_ledger(read_site(TESTS_DIR, ROOT / "mkdocs.yml"))
        assert "## VI. Processes" in ledger
        assert "(processes.md#shared-secret)" in ledger
        ```
    """
    rank = {page: number for number, page in enumerate(site.titles)}
    claims = site.claims.values()
    pages = sorted({c.page for c in claims}, key=lambda page: rank.get(page, len(rank)))
    lines = [f"{len(site.claims)} claims on {len(pages)} pages, each proven by the test beside it."]
    lines.append("")
    for page in pages:
        lines += [
            f"## {site.titles.get(page, page)}",
            "",
            "| Claim | Observed | Proof |",
            "| --- | --- | --- |",
        ]
        for found in (c for c in claims if c.page == page):
            seen = site.observed.get(found.id)
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


class ClaimsPreprocessor(Preprocessor):
    """Replaces `!proof <id>` lines with claim boxes, and `!proof-ledger` with the ledger."""

    def __init__(self, md: Markdown, tests_dir: Path, config_file: Path, docs_dir: Path) -> None:
        super().__init__(md)
        self.tests_dir = tests_dir
        self.config_file = config_file
        self.docs_dir = docs_dir

    def run(self, lines: list[str]) -> list[str]:
        """The page's lines with every marker outside a code fence replaced.

        A marker inside a fenced block stays as it is: that is a page (or a
        docstring rendered by mkdocstrings) showing the syntax.
        """
        if not any("!proof" in line for line in lines):
            return lines
        site: Site | None = None
        out: list[str] = []
        fence = ""
        for line in lines:
            opening = FENCE.match(line)
            if fence or opening:
                if not fence:
                    fence = opening[1]  # type: ignore[index]
                elif line.strip().startswith(fence):
                    fence = ""
                out.append(line)
                continue
            marker = PROOF_LINE.fullmatch(line)
            if INDENTED_PROOF_LINE.fullmatch(line):
                raise ClaimError(
                    f"`{line.strip()}` is indented; a `!proof` line starts at the "
                    "beginning of its line, outside any list or admonition"
                )
            if marker or line.strip() == LEDGER_LINE:
                site = site or read_site(self.tests_dir, self.config_file)
                shown = self._box(site, marker["id"]) if marker else render_ledger(site)
                out += shown.split("\n")
            else:
                out.append(line)
        return out

    def _box(self, site: Site, claim_id: str) -> str:
        """The claim box of `claim_id`, or a `ClaimError` when no proof declares it.

        A stored timeline is drawn again here, and its shipped picture must be
        exactly that drawing (`ClaimError` otherwise, with the command that redraws it).
        """
        found = site.claims.get(claim_id)
        if found is None:
            raise ClaimError(
                f"`!proof {claim_id}` names no claim; declare it with "
                f"@claim('{claim_id}', '...') on a test in tests/<this page's slug>/"
            )
        seen = site.observed.get(found.id)
        if seen is None or not seen.timeline:
            return mark_stale(render_claim(found, seen), found, seen)
        drawn = draw(seen)
        shipped = picture_path(found.id, self.docs_dir)
        if not shipped.is_file() or shipped.read_text(encoding="utf-8") != drawn:
            raise ClaimError(
                f"{shipped} is not the drawing of the timeline stored for claim '{found.id}'; "
                "draw it again: .venv/bin/python -m proven.site.timelines"
            )
        return mark_stale(render_claim(found, seen, image_line(found.id, drawn)), found, seen)


class ClaimsExtension(Extension):
    """Registers the claims preprocessor at priority 33, before `pymdownx.snippets`."""

    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "tests_dir": ["tests", "The proofs' folder, relative to the working directory."],
            "config_file": [
                "mkdocs.yml",
                "The config whose nav gives the ledger its page titles and order.",
            ],
            "docs_dir": ["docs", "The pages' folder, where the timelines' pictures are shipped."],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        """Register the preprocessor on `md`."""
        preprocessor = ClaimsPreprocessor(
            md,
            Path(self.getConfig("tests_dir")),
            Path(self.getConfig("config_file")),
            Path(self.getConfig("docs_dir")),
        )
        md.preprocessors.register(preprocessor, "proven_claims", PRIORITY)


def makeExtension(**kwargs: Any) -> ClaimsExtension:  # noqa: N802 (Python-Markdown's name)
    """The extension, as Python-Markdown loads it by module name."""
    return ClaimsExtension(**kwargs)
