"""Keep the dashboard's hourly rollups: compute an hour range from the raw tables, store it, refresh, rebuild.

An hour's rollup is exactly what the raw queries of insights.dashboard count in that UTC hour, split
into additive parts (counts and sums, and how often each duration occurred), so any range of whole
hours sums to the raw figure. Hours are recomputed whole (delete, then insert), so every step is
idempotent: running it twice, or after a crash, gives the same rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, insert, or_, select
from sqlalchemy.orm import Session, aliased

from core.db import utcnow
from crm import Conversation, Handoff, Message, Sender
from insights.dashboard import FAILED_ANSWER_KINDS, NEGATIVE, NOT_BOT_HANDOFFS
from insights.rollup_models import SCALARS, DirtyHour, DurationRow, HourRow, RollupRow, RollupState, UnansweredRow
from insights.sql import bucket, json_flag, json_text, seconds_between

HOUR = timedelta(hours=1)
CHUNK = timedelta(days=1)  # new hours are rolled up a day per statement and transaction
_KEY = "%Y-%m-%d %H:00"


def floor_hour(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def ceil_hour(t: datetime) -> datetime:
    f = floor_hour(t)
    return f if f == t else f + HOUR


def _hour(key: str) -> datetime:
    return datetime.strptime(key, _KEY).replace(tzinfo=UTC)


@dataclass
class Parts:
    """Additive parts of the figures per UTC hour: {(hour, metric, dim): [n, total]} and durations."""

    sums: dict[tuple[datetime, str, str], list[float]]
    durations: dict[tuple[datetime, str, float], int]
    questions: set[tuple[datetime, int]]  # (hour of the failed answer, id of the question before it)

    @classmethod
    def empty(cls) -> Parts:
        return cls(defaultdict(lambda: [0, 0.0]), defaultdict(int), set())

    def add(self, hour: datetime, metric: str, dim: str, n: Any, total: Any = 0.0) -> None:
        cell = self.sums[(hour, metric, dim)]
        cell[0] += int(n or 0)
        cell[1] += float(total or 0.0)


def compute(session: Session, start: datetime, end: datetime) -> Parts:
    """Return the parts of every figure for what happened in [start, end), per UTC hour, from the raw tables."""
    return compute_many(session, [(start, end)])


def _within(column: Any, spans: list[tuple[datetime, datetime]]) -> Any:
    conds = [and_(column >= a, column < b) for a, b in spans]
    return conds[0] if len(conds) == 1 else or_(*conds)


def compute_many(session: Session, spans: list[tuple[datetime, datetime]]) -> Parts:
    """Return the parts of every figure for what happened in the disjoint spans [start, end), per UTC hour.

    Each query is the raw figure's own (insights.dashboard) grouped by hour and stopped before the
    division, so the two cannot drift apart without tests/insights/test_rollups.py failing. All spans
    go into one statement per figure: a read has an open edge and a few dirty hours, not one query each.
    """
    parts = Parts.empty()
    if not spans:
        return parts
    c_in = _within(Conversation.created_at, spans)
    m_in = _within(Message.created_at, spans)
    h_in = _within(Handoff.created_at, spans)

    b = bucket(Conversation.created_at, "hour")
    for key, n in session.execute(select(b, func.count()).where(c_in).group_by(b)):
        parts.add(_hour(key), "conversations", "", n)

    wrote = exists().where(Message.conversation_id == Conversation.id, Message.sender == Sender.CUSTOMER)
    handed = exists().where(Handoff.conversation_id == Conversation.id)
    for key, n, contained in session.execute(
        select(b, func.count(), func.sum(case((handed, 0), else_=1))).where(c_in, wrote).group_by(b)
    ):
        parts.add(_hour(key), "containment", "", n)
        parts.add(_hour(key), "containment.contained", "", contained)

    for key, n, good, total in session.execute(
        select(b, func.count(), func.sum(case((Conversation.rating >= 4, 1), else_=0)), func.sum(Conversation.rating))
        .where(c_in, Conversation.rating.is_not(None)).group_by(b)
    ):
        parts.add(_hour(key), "csat", "", n, total)
        parts.add(_hour(key), "csat.good", "", good)

    hb = bucket(Handoff.created_at, "hour")
    for key, trigger, n in session.execute(
        select(hb, Handoff.trigger, func.count()).where(h_in, Handoff.trigger.not_in(NOT_BOT_HANDOFFS))
        .group_by(hb, Handoff.trigger)
    ):
        parts.add(_hour(key), "handoffs", trigger, n)

    mb = bucket(Message.created_at, "hour")
    verdict = json_flag(Message.meta, "helpful")
    for key, n, rated, yes in session.execute(
        select(mb, func.count(), func.count(verdict), func.sum(verdict))
        .where(json_text(Message.meta, "kind") == "kb_answer", m_in).group_by(mb)
    ):
        parts.add(_hour(key), "helpful", "", n)
        parts.add(_hour(key), "helpful.rated", "", rated)
        parts.add(_hour(key), "helpful.yes", "", yes)

    for key, n, total, neg in session.execute(
        select(mb, func.count(), func.sum(Message.sentiment),
               func.sum(case((Message.sentiment <= NEGATIVE, 1), else_=0)))
        .where(m_in, Message.sender == Sender.CUSTOMER, Message.sentiment.is_not(None)).group_by(mb)
    ):
        parts.add(_hour(key), "sentiment", "", n, total)
        parts.add(_hour(key), "sentiment.negative", "", neg)

    for key, intent, n in session.execute(
        select(mb, Message.intent, func.count())
        .where(m_in, Message.sender == Sender.CUSTOMER, Message.intent.is_not(None)).group_by(mb, Message.intent)
    ):
        parts.add(_hour(key), "intents", intent, n)

    for key, seconds in session.execute(
        select(hb, seconds_between(Handoff.created_at, Handoff.accepted_at))
        .where(h_in, Handoff.accepted_at.is_not(None), Handoff.trigger != "transfer")
    ):
        if seconds is not None and seconds >= 0:
            parts.durations[(_hour(key), "time-to-person", float(seconds))] += 1

    for key, seconds in _first_responses(session, h_in):
        if seconds is not None and seconds >= 0:
            parts.durations[(_hour(key), "first-response", float(seconds))] += 1

    failed = aliased(Message)
    asked = (
        select(func.max(Message.id))
        .where(Message.conversation_id == failed.conversation_id, Message.sender == Sender.CUSTOMER,
               Message.id < failed.id)
        .scalar_subquery()
    )
    for key, mid in session.execute(
        select(bucket(failed.created_at, "hour"), asked)
        .where(json_text(failed.meta, "kind").in_(FAILED_ANSWER_KINDS), _within(failed.created_at, spans))
    ):
        if mid is not None:
            parts.questions.add((_hour(key), int(mid)))
    return parts


def _first_responses(session: Session, h_in: Any) -> Any:
    """(hour key, seconds) of each conversation whose first bot handoff is in the spans, as the raw figure.

    The raw figure takes the first in its period of the conversations with none before it; for spans
    that is the handoff with no earlier bot handoff at all (ties: the same time, so the same answer)."""
    before = aliased(Handoff)
    handed_before = exists().where(before.conversation_id == Handoff.conversation_id,
                                   before.created_at < Handoff.created_at, before.trigger.not_in(NOT_BOT_HANDOFFS))
    first = (
        select(Handoff.conversation_id.label("cid"), func.min(Handoff.created_at).label("at"))
        .where(h_in, Handoff.trigger.not_in(NOT_BOT_HANDOFFS), ~handed_before)
        .group_by(Handoff.conversation_id)
        .subquery()
    )
    reply = (
        select(func.min(Message.created_at))
        .where(Message.conversation_id == first.c.cid, Message.sender == Sender.AGENT, Message.created_at >= first.c.at)
        .scalar_subquery()
    )
    return session.execute(select(bucket(first.c.at, "hour"), seconds_between(first.c.at, reply)))


def store_hours(session: Session, start: datetime, end: datetime) -> int:
    """Recompute and replace the rollup of every hour in [start, end) (whole hours); return rows written."""
    parts = compute(session, start, end)
    for table in (HourRow, RollupRow, DurationRow, UnansweredRow):
        session.execute(delete(table).where(table.hour >= start, table.hour < end))  # type: ignore[attr-defined]
    wide: dict[datetime, dict[str, Any]] = {}
    rows = []
    for (h, m, d), (n, total) in parts.sums.items():
        if m in ("handoffs", "intents"):
            rows.append({"hour": h, "metric": m, "dim": d, "n": int(n)})
            continue
        row = wide.setdefault(h, {"hour": h, **{col: 0 for col, _, _ in SCALARS}, "sentiment_sum": 0.0})
        for col, metric, part in SCALARS:
            if metric == m:
                row[col] = int(n) if part == "n" else (total if col == "sentiment_sum" else int(round(total)))
    packed: dict[tuple[datetime, str], list[float]] = defaultdict(list)
    for (h, m, sec), n in parts.durations.items():
        packed[(h, m)].extend([sec] * n)
    durs = [{"hour": h, "metric": m, "n": len(v), "seconds": ",".join(map(repr, sorted(v)))}
            for (h, m), v in packed.items()]
    asked = [{"hour": h, "message_id": i} for h, i in sorted(parts.questions)]
    for table, batch in ((HourRow, list(wide.values())), (RollupRow, rows), (DurationRow, durs),
                         (UnansweredRow, asked)):
        for i in range(0, len(batch), 5000):
            session.execute(insert(table), batch[i : i + 5000])
    return len(wide) + len(rows) + len(durs) + len(asked)


def _state(session: Session) -> RollupState:
    state = session.get(RollupState, 1)
    if state is None:
        state = RollupState(id=1, through=None)
        session.add(state)
        session.flush()
    return state


def rolled_through(session: Session) -> datetime | None:
    """Return the hour before which every hour is rolled up (None: nothing is)."""
    state = session.get(RollupState, 1)
    return state.through if state is not None else None


def dirty_hours(session: Session) -> set[datetime]:
    return set(session.scalars(select(DirtyHour.hour).distinct()))


def mark_conversations(session: Session, ids: Iterable[str]) -> None:
    """Mark every hour these conversations are counted in, before a bulk statement changes or deletes them.

    (The ORM flush hook in insights.rollup_marks does this for ordinary writes.)"""
    from insights.rollup_marks import _insert, conversation_hours

    ids = sorted(set(ids))
    times: list[datetime] = conversation_hours(session, ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        for col, cid in ((Message.created_at, Message.conversation_id), (Handoff.created_at, Handoff.conversation_id)):
            times.extend(session.scalars(select(col).where(cid.in_(chunk))))
    _insert(session, times)


def oldest_data(session: Session) -> datetime | None:
    firsts = [session.scalar(select(func.min(c))) for c in (Conversation.created_at, Message.created_at,
                                                              Handoff.created_at)]
    known = [t for t in firsts if t is not None]
    return floor_hour(min(known)) if known else None


def refresh(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Roll up the hours closed since the last run and recompute the hours marked dirty; idempotent.

    The dirty rows are read first and only those are deleted at the end: a change committed while
    this runs keeps its mark and is recomputed next time (reads treat it as raw until then).
    """
    now = now or utcnow()
    state = _state(session)
    seen = session.execute(select(DirtyHour.id, DirtyHour.hour)).all()
    through = state.through
    target = floor_hour(now)
    new_hours = 0
    if through is None:
        start = oldest_data(session)
        through = start if start is not None and start < target else target
    if through < target:
        t = through
        while t < target:
            # A chunk per transaction: the first run on a year of history must not hold SQLite's
            # write lock for a minute; readers use each chunk as soon as it is committed.
            store_hours(session, t, min(t + CHUNK, target))
            t = min(t + CHUNK, target)
            state.through, state.updated_at = t, utcnow()
            session.commit()
        new_hours = int((target - through) / HOUR)
        through = target
    redone = 0
    runs: list[list[datetime]] = []
    for h in sorted({floor_hour(h) for _, h in seen if h < through}):
        if runs and runs[-1][1] == h:
            runs[-1][1] = h + HOUR
        else:
            runs.append([h, h + HOUR])
    for a, b in runs:  # neighbouring dirty hours in one go
        store_hours(session, a, b)
        redone += int((b - a) / HOUR)
    ids = [i for i, _ in seen]
    for i in range(0, len(ids), 1000):
        session.execute(delete(DirtyHour).where(DirtyHour.id.in_(ids[i : i + 1000])))
    state.through, state.updated_at = through, utcnow()
    session.flush()
    return {"new_hours": new_hours, "recomputed_hours": redone}


def rebuild(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Forget every rollup and roll up all history again (after an import or a restore); idempotent."""
    for table in (HourRow, RollupRow, DurationRow, UnansweredRow, DirtyHour):
        session.execute(delete(table))
    _state(session).through = None
    session.flush()
    return refresh(session, now)
