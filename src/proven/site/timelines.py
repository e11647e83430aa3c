"""Pictures of what the proofs saw: each stored timeline drawn as an SVG file.

A proof that records a [`Timeline`][proven.timeline.Timeline] stores it with
its observation (`tests/<page>/observations.json`). [`draw`][proven.site.timelines.draw]
turns that record into a small SVG: the bad twin above the good one on one
time axis, each twin's requests as bars per time bucket coloured by their
fate (lost in red), its events as dashed lines and its reads afterwards as
diamonds, labelled in the proof's words. It has `role="img"`, a `<title>`,
and a `<desc>` that holds the observation text itself and the time of every
mark. No script, no web font.

The picture ships as a file, `docs/assets/timelines/<claim-id>.svg`, which a
claim box loads lazily (`<img loading="lazy">`): a page's first visit does
not fetch a picture below the fold, and MkDocs and Zensical copy the same
file. `pytest --update-observations` writes it when it stores the record;
`python -m proven.site.timelines` draws every stored timeline again (after a
change to this module). The claims extension draws each one again at build
time and fails the build when the file is not exactly that drawing, so a
picture is never edited by hand, and it goes stale exactly when its record
does (`tests/site/test_timelines.py`).

Standard library only, like the rest of the site build.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from proven.observations import Observation, load_observations
from proven.paths import DOCS_DIR, ROOT, TESTS_DIR
from proven.timeline import FATES

TIMELINE_CLAIMS: tuple[str, ...] = (
    "counter-restart",
    "counter-kill-9",
    "cart-restart",
    "cart-kill-9",
    "uploads-restart",
    "uploads-kill-9",
    "worker-kill-9",
    "logs-kill-9-tail",
    "graceful-web-shutdown",
    "worker-sigterm",
    "outage-503",
    "outage-no-hang",
    "identity-rotation",
    "sticky-session-crash",
    "migrate-on-boot-races",
    "fast-startup",
)
"""The claims whose box must show a timeline: the one list of them.

`tests/site/test_timelines.py` fails when one of them has no current timeline,
and when a proof stores a timeline for a claim that is not listed here.
"""

PICTURES = "assets/timelines"
"""Where the pictures live, relative to the docs folder (and to the built site)."""

MAX_GZIP = 6 * 1024
"""The most bytes a picture may take, gzip-compressed."""

WIDTH = 360
"""The picture's width in CSS pixels: its natural size, and at most a phone's column."""

LEFT, RIGHT = 8, 8
LEGEND_ROW = 16
LABEL_ROW = 14
BAR_HEIGHT = 34
AXIS = 26
CHAR = 6.7
"""About the width of one character of the 12 px labels, to keep labels apart."""

COLOURS = {"kept": "#2f5fa7", "answered": "#86a9d9", "lost": "#c62828", "failed": "#8a8a8a"}
DEFAULT_LEGEND = {
    "kept": "kept",
    "answered": "answered",
    "lost": "lost",
    "failed": "no answer",
}
DARK = {"kept": "#7da7e8", "answered": "#b4c9ea", "lost": "#f26d6d", "failed": "#9a9a9a"}
"""The fates' colours in the dark scheme: lighter, for a dark page."""
STYLE = (
    "text{font:12px system-ui,sans-serif;fill:#222}.t{font-weight:700}"
    ".e{stroke:#444;stroke-dasharray:3 2}.x{stroke:#999}.r{fill:#222}"
    + "".join(f".{fate[0]}{{fill:{colour}}}" for fate, colour in COLOURS.items())
    + "@media (prefers-color-scheme:dark){text,.r{fill:#e3e3e3}.e{stroke:#bbb}.x{stroke:#777}"
    + "".join(f".{fate[0]}{{fill:{colour}}}" for fate, colour in DARK.items())
    + "}"
)
"""The picture's one stylesheet. In an `<img>`, `prefers-color-scheme` follows the
`color-scheme` of the page around it, which Material's dark scheme (slate) sets to
`dark` when the reader picks it, so the picture follows the reader's toggle."""


def picture_path(claim_id: str, docs_dir: Path = DOCS_DIR) -> Path:
    """Where the picture of a claim's timeline is shipped.

    Example:
        ```python
        from proven.site.timelines import picture_path

        path = picture_path("counter-kill-9")
        assert path.as_posix().endswith("docs/assets/timelines/counter-kill-9.svg")
        ```
    """
    return docs_dir / PICTURES / f"{claim_id}.svg"


def _seconds(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") + " s"


def _tick_step(span: float) -> float:
    """A round step giving 3 to 7 ticks over `span` seconds."""
    raw = span / 5
    power = 10 ** math.floor(math.log10(raw))
    return next(f * power for f in (1, 2, 5, 10) if f * power >= raw)


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _label_rows(
    marks: list[list[Any]], x: Callable[[float], float]
) -> list[tuple[list[Any], int, bool]]:
    """Each mark with the label row it is drawn in and whether its label runs leftwards."""
    rows: list[list[tuple[float, float]]] = []
    placed = []
    for mark in marks:
        at, label = x(mark[0]), mark[2]
        width = len(label) * CHAR + 4
        leftwards = at + width > WIDTH - RIGHT
        span = (at - width, at) if leftwards else (at, at + width)
        row = next(
            (
                index
                for index, taken in enumerate(rows)
                if all(span[1] < lo or span[0] > hi for lo, hi in taken)
            ),
            len(rows),
        )
        if row == len(rows):
            rows.append([])
        rows[row].append(span)
        placed.append((mark, row, leftwards))
    return placed


def _marks_text(lane: dict[str, Any]) -> str:
    return "; ".join(
        f"{'read ' if kind == 'read' else ''}{label} at {_seconds(at)}"
        for at, kind, label in lane["marks"]
    )


def _counts_text(lane: dict[str, Any], legend: dict[str, str]) -> str:
    totals = [sum(bucket[1 + i] for bucket in lane["requests"]) for i in range(len(FATES))]
    return ", ".join(
        f"{total} {legend[fate]}" for fate, total in zip(FATES, totals, strict=True) if total
    )


def describe(seen: Observation) -> tuple[str, str]:
    """The picture's title and description: the observation text, the drawn counts, the marks.

    Example:
        ```python
        from proven.observations import load_observations
        from proven.site.timelines import describe

        seen = load_observations("disposability")["graceful-web-shutdown"]
        title, desc = describe(seen)
        assert seen.bad in desc and seen.good in desc and "SIGTERM at" in desc
        ```
    """
    record = seen.timeline or {}
    legend = {**DEFAULT_LEGEND, **record.get("legend", {})}
    title = "Timeline of the run"
    parts = []
    for twin, text in (("bad", seen.bad), ("good", seen.good)):
        lane = record[twin]
        counts = _counts_text(lane, legend)
        drawn = f" Drawn: {counts}." if counts else ""
        parts.append(f"{twin.capitalize()} twin: {text}.{drawn} {_marks_text(lane)}.")
    return title, " ".join(parts)


def draw(seen: Observation) -> str:
    """The SVG of an observation's timeline (the same record always gives the same bytes).

    Example:
        ```python
        from proven.observations import load_observations
        from proven.site.timelines import draw

        svg = draw(load_observations("disposability")["graceful-web-shutdown"])
        assert svg.startswith("<svg") and 'role="img"' in svg
        assert "<title" in svg and "<desc" in svg and "<script" not in svg
        ```
    """
    record = seen.timeline
    if not record:
        raise ValueError("this observation has no timeline to draw")
    legend = {**DEFAULT_LEGEND, **record.get("legend", {})}
    lanes = {twin: record[twin] for twin in ("bad", "good")}
    step = record["step"]
    span = max(step, *(lane["end"] for lane in lanes.values()))
    plot = WIDTH - LEFT - RIGHT

    def x(at: float) -> float:
        return LEFT + at / span * plot

    used = [
        fate
        for i, fate in enumerate(FATES)
        if any(bucket[1 + i] for lane in lanes.values() for bucket in lane["requests"])
    ]
    stacked = [i for i, fate in enumerate(FATES) if fate != "failed"]
    tallest = (
        max(
            (
                sum(bucket[1 + i] for i in stacked)
                for lane in lanes.values()
                for bucket in lane["requests"]
            ),
            default=1,
        )
        or 1
    )
    body: list[str] = []
    # The legend: one square and phrase per fate drawn, in the proof's words.
    left, y = LEFT, 12
    for fate in used:
        width = 14 + len(legend[fate]) * CHAR + 10
        if left + width > WIDTH - RIGHT and left > LEFT:
            left, y = LEFT, y + LEGEND_ROW
        body.append(f'<rect class="{fate[0]}" x="{left}" y="{y - 9}" width="9" height="9"/>')
        body.append(f'<text x="{left + 13}" y="{y}">{escape(legend[fate])}</text>')
        left += width
    top = y + 10
    for twin, lane in lanes.items():
        placed = _label_rows(lane["marks"], x)
        rows = max((row for _, row, _ in placed), default=-1) + 1
        title_y = top + 12
        body.append(f'<text class="t" x="{LEFT}" y="{title_y}">{twin.capitalize()} twin</text>')
        bars_top = title_y + 4 + rows * LABEL_ROW
        base = bars_top + BAR_HEIGHT
        body.append(f'<path class="x" d="M{LEFT} {base}H{WIDTH - RIGHT}"/>')
        width = max(plot * step / span - 1, 1)
        paths: dict[str, list[str]] = {fate: [] for fate in FATES}
        for bucket in lane["requests"]:
            left = _number(x(bucket[0] * step))
            y = base
            for i in stacked:
                if bucket[1 + i]:
                    height = max(bucket[1 + i] / tallest * (BAR_HEIGHT - 6), 3)
                    paths[FATES[i]].append(
                        f"M{left} {_number(y)}h{_number(width)}v-{_number(height)}"
                        f"h-{_number(width)}z"
                    )
                    y -= height
            if bucket[1 + FATES.index("failed")]:
                # Requests that got no answer: a band under the line, whatever their number.
                paths["failed"].append(f"M{left} {base + 1}h{_number(width)}v4h-{_number(width)}z")
        for fate, path in paths.items():
            if path:
                body.append(f'<path class="{fate[0]}" d="{"".join(path)}"/>')
        for (at, kind, label), row, leftwards in placed:
            mx = _number(x(at))
            label_y = title_y + 4 + (row + 1) * LABEL_ROW - 3
            if kind == "event":
                body.append(f'<path class="e" d="M{mx} {label_y - 9}V{base}"/>')
            else:
                body.append(
                    f'<path class="r" d="M{mx} {base - 10}l4 5-4 5-4-5z"/>'
                    f'<path class="e" d="M{mx} {label_y - 9}V{base - 10}"/>'
                )
            anchor = ' text-anchor="end"' if leftwards else ""
            offset = -3 if leftwards else 3
            body.append(
                f'<text x="{_number(x(at) + offset)}" y="{label_y}"{anchor}>{escape(label)}</text>'
            )
        top = base + 9
    # The shared time axis.
    axis_y = top + 4
    body.append(f'<path class="x" d="M{LEFT} {axis_y}H{WIDTH - RIGHT}"/>')
    tick = _tick_step(span)
    for n in range(int(span / tick + 1e-9) + 1):
        tx = _number(x(n * tick))
        anchor = "start" if n == 0 else "middle"
        if x(n * tick) + 14 > WIDTH:
            anchor = "end"
        body.append(f'<path class="x" d="M{tx} {axis_y}v4"/>')
        body.append(
            f'<text x="{tx}" y="{axis_y + 15}" text-anchor="{anchor}">{_seconds(n * tick)}</text>'
        )
    height = axis_y + AXIS - 6
    title, desc = describe(seen)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-labelledby="t d">'
        f'<title id="t">{escape(title)}</title><desc id="d">{escape(desc)}</desc>'
        f"<style>{STYLE}</style>" + "".join(body) + "</svg>\n"
    )


def size(svg: str) -> tuple[int, int]:
    """The picture's width and height, as its root element gives them.

    Example:
        ```python
        from proven.site.timelines import size

        assert size('<svg viewBox="0 0 360 200" width="360" height="200">') == (360, 200)
        ```
    """
    head = svg[: svg.index(">")]
    width = int(head.split(' width="')[1].split('"')[0])
    return width, int(head.split(' height="')[1].split('"')[0])


def image_line(claim_id: str, svg: str) -> str:
    """The Markdown of a claim box's picture: a lazy image of the shipped file, sized.

    Example:
        ```python
        from proven.site.timelines import image_line

        line = image_line("x", '<svg width="360" height="200"><title id="t">Run</title>')
        assert line.startswith("![Run](assets/timelines/x.svg)") and "loading=lazy" in line
        ```
    """
    width, height = size(svg)
    title = svg.split('<title id="t">')[1].split("</title>")[0]
    return (
        f'![{title}]({PICTURES}/{claim_id}.svg){{ loading=lazy width="{width}" height="{height}" }}'
    )


def write_picture(claim_id: str, seen: Observation, docs_dir: Path = DOCS_DIR) -> Path:
    """Draw a claim's timeline into its shipped file; return the file."""
    path = picture_path(claim_id, docs_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(draw(seen), encoding="utf-8")
    return path


def stored_timelines(tests_dir: Path = TESTS_DIR) -> dict[str, Observation]:
    """Every stored observation that has a timeline, keyed by claim id.

    Example:
        ```python
        from proven.site.timelines import stored_timelines

        assert "graceful-web-shutdown" in stored_timelines()
        ```
    """
    found: dict[str, Observation] = {}
    for path in sorted(tests_dir.glob("*/observations.json")):
        for claim_id, seen in load_observations(path.parent.name, tests_dir).items():
            if seen.timeline:
                found[claim_id] = seen
    return found


def main() -> None:
    """Draw every stored timeline into its file, and remove pictures no record has."""
    stored = stored_timelines()
    for claim_id, seen in stored.items():
        print(write_picture(claim_id, seen).relative_to(ROOT))
    for path in sorted((DOCS_DIR / PICTURES).glob("*.svg")):
        if path.stem not in stored:
            path.unlink()
            print(f"removed {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
