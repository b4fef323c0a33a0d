"""The dashboard as served: hourly rollups for the whole hours they cover, raw queries for the rest.

A period is split into the hours the rollups cover (every whole hour before `rolled_through` that
is not marked dirty) and what is left: the partial hours at its ends, the still-open hours after
`rolled_through`, and dirty hours. The left-over intervals are computed from the raw tables with the
same hour-by-hour parts the rollups store (insights.rollups.compute_many), then both are summed into the
period's buckets and drawn by the raw figures' own builders, so the numbers are the raw figures'.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from crm import Message
from insights import dashboard as raw
from insights.dashboard import Figure, Period
from insights.rollup_models import SCALARS, DurationRow, HourRow, RollupRow, UnansweredRow
from insights.rollups import HOUR, ceil_hour, compute_many, dirty_hours, floor_hour, rolled_through
from insights.sql import bucket, joined

_FMT = {"day": "%Y-%m-%d", "hour": "%Y-%m-%d %H:00"}


@dataclass
class Totals:
    """Every figure's parts summed per bucket of the period."""

    sums: dict[tuple[str, str, str], list[float]] = field(default_factory=lambda: defaultdict(lambda: [0, 0.0]))
    durations: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    questions: set[int] = field(default_factory=set)  # ids of questions from the raw spans, not in `counted`
    counted: dict[str, int] = field(default_factory=dict)  # exact text -> questions counted from the rollups

    def n(self, key: str, metric: str, dim: str = "") -> int:
        cell = self.sums.get((key, metric, dim))
        return int(cell[0]) if cell else 0

    def total(self, key: str, metric: str, dim: str = "") -> float:
        cell = self.sums.get((key, metric, dim))
        return float(cell[1]) if cell else 0.0


def plan(period: Period, through: datetime | None, dirty: set[datetime]) -> tuple[tuple[datetime, datetime] | None,
                                                                                   list[tuple[datetime, datetime]]]:
    """Split period into the window read from rollups (None if none) and the intervals read raw."""
    lo, hi = ceil_hour(period.start), floor_hour(period.end)
    if through is None or lo >= min(hi, through):
        return None, [(period.start, period.end)]
    hi = min(hi, through)
    raw_parts: list[tuple[datetime, datetime]] = []
    if period.start < lo:
        raw_parts.append((period.start, lo))
    for h in sorted(d for d in dirty if lo <= d < hi):
        if raw_parts and raw_parts[-1][1] == h:
            raw_parts[-1] = (raw_parts[-1][0], h + HOUR)
        else:
            raw_parts.append((h, h + HOUR))
    if hi < period.end:
        if raw_parts and raw_parts[-1][1] == hi:
            raw_parts[-1] = (raw_parts[-1][0], period.end)
        else:
            raw_parts.append((hi, period.end))
    return (lo, hi), raw_parts


def totals(session: Session, period: Period) -> Totals:
    """Sum every figure's parts into the period's buckets, from rollups where they are complete."""
    out = Totals()
    if session.get_bind().dialect.name == "postgresql":
        # JIT compiling cost PostgreSQL 25-55 ms per large statement here and saved nothing.
        session.execute(text("SET LOCAL jit = off"))
    dirty = dirty_hours(session)
    window, raw_parts = plan(period, rolled_through(session), dirty)
    gran = period.granularity
    if window is not None:
        lo, hi = window
        skip = sorted(d for d in dirty if lo <= d < hi)

        def covered(col: Any) -> list[Any]:
            return [col >= lo, col < hi, col.not_in(skip)] if skip else [col >= lo, col < hi]

        hb = bucket(HourRow.hour, gran)
        for key, *values in session.execute(
            select(hb, *(func.sum(getattr(HourRow, col)) for col, _, _ in SCALARS))
            .where(*covered(HourRow.hour)).group_by(hb)
        ):
            for (_, metric, part), v in zip(SCALARS, values, strict=True):
                out.sums[(key, metric, "")][0 if part == "n" else 1] = v or 0
        b = bucket(RollupRow.hour, gran)
        out.sums.update({(key, "handoffs", dim): [n, 0.0] for key, dim, n in session.execute(
            select(b, RollupRow.dim, func.sum(RollupRow.n))
            .where(*covered(RollupRow.hour), RollupRow.metric == "handoffs").group_by(b, RollupRow.dim)
        )})
        # Top intents are over the whole range: one row per intent, not one per intent and bucket.
        out.sums.update({("", "intents", dim): [n or 0, 0.0] for dim, n in session.execute(
            select(RollupRow.dim, func.sum(RollupRow.n))
            .where(*covered(RollupRow.hour), RollupRow.metric == "intents").group_by(RollupRow.dim)
        )})
        db_ = bucket(DurationRow.hour, gran)
        for key, metric, seconds in session.execute(  # one string per bucket: a year by day is 730 rows
            select(db_, DurationRow.metric, joined(DurationRow.seconds)).where(*covered(DurationRow.hour))
            .group_by(db_, DurationRow.metric)
        ):
            if seconds:
                out.durations[(key, metric)].extend(map(float, seconds.split(",")))
        # Each question once, then its text by one primary-key probe (as a join, PostgreSQL hashed every
        # message); an erased message's text is NULL: not counted.
        asked = select(UnansweredRow.message_id.label("mid")).where(*covered(UnansweredRow.hour)).distinct().subquery()
        said = select(Message.text).where(Message.id == asked.c.mid).scalar_subquery()
        counted: dict[str, int] = defaultdict(int)
        for (words,) in session.execute(select(said).select_from(asked)):
            if words is not None:
                counted[words] += 1
        out.counted = counted
    fmt = _FMT[gran]
    if raw_parts:
        parts = compute_many(session, raw_parts)
        for (hour, metric, dim), (n, total) in parts.sums.items():
            cell = out.sums[("" if metric == "intents" else hour.strftime(fmt), metric, dim)]
            cell[0] += int(n)
            cell[1] += float(total)
        for (hour, metric, seconds), n in parts.durations.items():
            out.durations[(hour.strftime(fmt), metric)].extend([seconds] * n)
        out.questions = {i for _, i in parts.questions}
        if window is not None and out.questions:  # a question already counted from the rollups counts once
            out.questions -= set(session.scalars(
                select(UnansweredRow.message_id).where(*covered(UnansweredRow.hour),
                                                       UnansweredRow.message_id.in_(sorted(out.questions)))))
    return out


def _by(period: Period, t: Totals, metric: str) -> dict[str, list[float]]:
    return {k: t.durations.get((k, metric), []) for k in period.keys()}


def _figures(session: Session, period: Period, t: Totals) -> dict[str, Callable[[], Figure]]:
    keys = period.keys()

    def avg(k: str, metric: str) -> float | None:
        n = t.n(k, metric)
        return t.total(k, metric) / n if n else None

    triggers = {d for (_, m, d) in t.sums if m == "handoffs"}
    intents: dict[str, int] = defaultdict(int)
    for (_, m, d), (n, _) in t.sums.items():
        if m == "intents":
            intents[d] += int(n)
    return {
        "conversations": lambda: raw.conversations_figure(period, {k: [t.n(k, "conversations")] for k in keys}),
        "containment": lambda: raw.containment_figure(
            period, {k: [t.n(k, "containment"), t.n(k, "containment.contained")] for k in keys}),
        "handoffs": lambda: raw.handoffs_figure(
            period, {(k, tr): t.n(k, "handoffs", tr) for k in keys for tr in triggers if t.n(k, "handoffs", tr)}),
        "time-to-person": lambda: raw.time_to_person_figure(period, _by(period, t, "time-to-person")),
        "first-response": lambda: raw.first_response_figure(period, _by(period, t, "first-response")),
        "csat": lambda: raw.csat_figure(period, {k: [t.n(k, "csat"), t.n(k, "csat.good"), avg(k, "csat")]
                                                 for k in keys}),
        "helpful": lambda: raw.helpful_figure(
            period, {k: [t.n(k, "helpful"), t.n(k, "helpful.rated"), t.n(k, "helpful.yes")] for k in keys}),
        "sentiment": lambda: raw.sentiment_figure(
            period, {k: [t.n(k, "sentiment"), avg(k, "sentiment"), t.n(k, "sentiment.negative")] for k in keys}),
        "intents": lambda: raw.intents_figure({i: n for i, n in intents.items() if n}),
        "unanswered": lambda: raw.unanswered_figure(session, sorted(t.questions), t.counted),
    }


def figure(session: Session, key: str, period: Period, now: datetime | None = None) -> Figure:
    """Return one figure by its key (as insights.dashboard.figure); LookupError for an unknown key."""
    if key == "queue":
        return raw.queue_now(session, now)
    if key not in raw.FIGURES:
        raise LookupError(f"no figure called {key!r}")
    return _figures(session, period, totals(session, period))[key]()


def dashboard(session: Session, period: Period, now: datetime | None = None) -> list[Figure]:
    """Return every figure of the dashboard for period (as insights.dashboard.dashboard), the queue last."""
    made = _figures(session, period, totals(session, period))
    return [made[k]() for k in raw.FIGURES] + [raw.queue_now(session, now)]
