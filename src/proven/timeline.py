"""Timelines: the requests and events a proof saw for each twin, with their times.

A proof whose lesson happens in time (a kill, a signal, a restart, an outage)
records what it already observes on a [`Timeline`][proven.timeline.Timeline]:
each request with its fate, each event, each read afterwards, at the
`time.monotonic()` it happened. It passes the timeline to `observe`, which
stores it in the same record as the observation text: the same file, the same
fingerprint, the same `--update-observations`. The site draws the stored
record as a picture in the claim box (`proven.site.timelines`).

Dense traffic stays small: requests are stored as counts per time bucket
(at most [`BUCKETS`][proven.timeline.BUCKETS] buckets on the shared time
axis), events and reads one by one.

Everything here is standard library, so the site build can read records.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

Fate = Literal["kept", "lost", "failed", "answered"]
"""What became of one request, as the proof established it.

`kept`: acknowledged, and still there when the proof read afterwards (or
completed, for a request that writes nothing). `lost`: acknowledged (or in
flight), then gone: the red of the picture. `failed`: no answer, or an error
status. `answered`: acknowledged, its fate not checked by the proof.
"""

FATES: tuple[Fate, ...] = ("kept", "lost", "failed", "answered")
"""Every fate, in the order a stored bucket counts them."""

Kind = Literal["event", "read"]
"""A mark on a twin's line: an `event` the proof caused (kill -9, SIGTERM, a
restart, an outage) or a `read` afterwards, with what it answered."""

BUCKETS = 40
"""The most buckets the shared time axis is cut into: a record's size does not grow with traffic."""

MAX_LABEL = 40
"""A mark's label and a legend entry are short phrases: at most this many characters."""


@dataclass
class Lane:
    """One twin's line on the timeline: requests with their fate, and marks.

    Times are `time.monotonic()` values; a lane's time 0 is the earliest time
    recorded on it, so two twins run one after the other share one axis, unless
    [`start`][proven.timeline.Lane.start] sets it (twins run at the same time,
    or a lane that begins before its first record, such as a process's start).

    Example:
        ```python
        from proven.timeline import Lane

        lane = Lane()
        lane.request("kept", at=10.0)
        lane.event("kill -9", at=10.5)
        lane.request("failed", at=10.6)
        lane.read("count: 0", at=11.0)
        assert lane.fates() == {"kept": 1, "lost": 0, "failed": 1, "answered": 0}
        lane.start(at=9.5)
        assert lane.zero() == 9.5
        ```
    """

    requests: list[tuple[float, Fate]] = field(default_factory=list)
    marks: list[tuple[float, Kind, str]] = field(default_factory=list)
    started: float | None = None

    def start(self, at: float | None = None) -> None:
        """Set the lane's time 0 (default: now), instead of its earliest record."""
        self.started = time.monotonic() if at is None else at

    def zero(self) -> float:
        """The lane's time 0: the time `start` set, else the earliest time recorded."""
        if self.started is None:
            return min(self.times())
        if any(at < self.started for at in self.times()):
            raise ValueError("a timeline lane has a record before the time 0 its start() set")
        return self.started

    def request(self, fate: Fate, at: float | None = None) -> None:
        """One request and its fate, at the time it was answered or failed (default: now)."""
        if fate not in FATES:
            raise ValueError(f"a request's fate is one of {', '.join(FATES)}, not {fate!r}")
        self.requests.append((time.monotonic() if at is None else at, fate))

    def event(self, label: str, at: float | None = None) -> None:
        """Something the proof did to the twin: `"kill -9"`, `"SIGTERM"`, `"restarted"`."""
        self.marks.append((time.monotonic() if at is None else at, "event", _label(label)))

    def read(self, label: str, at: float | None = None) -> None:
        """A read afterwards and what it answered: `"count: 0"`."""
        self.marks.append((time.monotonic() if at is None else at, "read", _label(label)))

    def fates(self) -> dict[Fate, int]:
        """How many requests met each fate."""
        return {fate: sum(1 for _, f in self.requests if f == fate) for fate in FATES}

    def times(self) -> list[float]:
        """Every time recorded on the lane."""
        return [at for at, _ in self.requests] + [at for at, _, _ in self.marks]


def _label(text: str) -> str:
    text = str(text).strip()
    if not text or "\n" in text or len(text) > MAX_LABEL:
        raise ValueError(f"a timeline label is one line of 1 to {MAX_LABEL} characters: {text!r}")
    return text


@dataclass
class Timeline:
    """What both twins did over time, for the picture in the claim box.

    `legend` names each fate the proof records in the words of its claim
    (`{"kept": "hit counted", "lost": "hit lost"}`); a fate without a name is
    drawn with a plain one. Record on `bad` and `good`, then pass the timeline
    to `observe(bad=..., good=..., timeline=timeline)`.

    Example:
        ```python
        from proven.timeline import Timeline

        timeline = Timeline(legend={"kept": "hit counted", "lost": "hit lost"})
        for at in (0.0, 0.1, 0.2):
            timeline.bad.request("lost", at=100 + at)
            timeline.good.request("kept", at=200 + at)
        timeline.bad.event("kill -9", at=100.3)
        timeline.good.event("kill -9", at=200.3)
        record = timeline.record()
        assert record["bad"]["marks"] == [[0.3, "event", "kill -9"]]
        assert sum(bucket[2] for bucket in record["bad"]["requests"]) == 3  # 3 lost
        ```
    """

    legend: dict[str, str] = field(default_factory=dict)
    bad: Lane = field(default_factory=Lane)
    good: Lane = field(default_factory=Lane)

    def record(self) -> dict[str, Any]:
        """The stored form: the legend, the bucket width, and each lane's buckets and marks.

        Each lane holds `end` (seconds from its time 0 to its last record),
        `requests` as `[bucket, kept, lost, failed, answered]` for every bucket
        that has any (bucket `i` covers `[i * step, (i + 1) * step)` seconds),
        and `marks` as `[seconds, kind, label]`. Times are rounded to
        milliseconds.
        """
        for fate, name in self.legend.items():
            if fate not in FATES:
                raise ValueError(f"the legend names fates ({', '.join(FATES)}), not {fate!r}")
            _label(name)
        lanes = {"bad": self.bad, "good": self.good}
        for twin, lane in lanes.items():
            if not lane.times():
                raise ValueError(f"the {twin} twin's lane of the timeline is empty")
        zero = {twin: lane.zero() for twin, lane in lanes.items()}
        span = max(max(lane.times()) - zero[twin] for twin, lane in lanes.items())
        step = max(math.ceil(span / BUCKETS * 1000) / 1000, 0.001)
        record: dict[str, Any] = {"legend": dict(self.legend), "step": step}
        for twin, lane in lanes.items():
            counts: dict[int, list[int]] = {}
            for at, fate in lane.requests:
                bucket = min(int((at - zero[twin]) / step), BUCKETS - 1)
                counts.setdefault(bucket, [0] * len(FATES))[FATES.index(fate)] += 1
            record[twin] = {
                "end": round(max(lane.times()) - zero[twin], 3),
                "requests": [[bucket, *counts[bucket]] for bucket in sorted(counts)],
                "marks": [
                    [round(at - zero[twin], 3), kind, label]
                    for at, kind, label in sorted(lane.marks)
                ],
            }
        return record
