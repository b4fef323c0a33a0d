"""The surge detector's memory in the database: baselines from past days, alerts, the window after a restart.

Baselines are derived from the messages table, not learned state: the same time of day (an hour
around it, scaled to the window) over the last `baseline_days` days, as the median across days with
a MAD spread. Derived, they survive restarts and can never drift; the median ignores yesterday's
storm, which a mean would fold into today's "normal".
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session

from core.db import Database
from crm import Handoff, Message, Sender
from insights.models import SurgeAlert
from insights.surge import CONVERSATIONS, HANDOFFS, MESSAGES, Alert, Baseline, Driver, Key, SurgeDetector
from insights.surge_settings import SurgeSettings

DAY = timedelta(days=1)
SPAN = timedelta(hours=1)  # the stretch of each past day the baseline reads, centred on now's time of day


def _day_ranges(now: datetime, first: datetime, days: int) -> list[tuple[int, datetime, datetime]]:
    ranges = []
    for k in range(1, days + 1):
        start = now - k * DAY - SPAN / 2
        if start >= first:  # only days the tenant was already live: no invented zeros
            ranges.append((k, start, start + SPAN))
    return ranges


def _robust(values: list[int], scale: float) -> Baseline:
    med = statistics.median(values)
    mad = statistics.median(abs(v - med) for v in values)
    return Baseline(mean=med * scale, deviation=1.4826 * mad * scale)


def baselines(session: Session, now: datetime, s: SurgeSettings) -> dict[Key, Baseline]:
    """Return the expected count per (kind, intent) for a window ending now."""
    first = session.scalar(select(func.min(Message.created_at)).where(Message.sender == Sender.CUSTOMER))
    if first is None:
        return {}
    ranges = _day_ranges(now, first, s.baseline_days)
    if not ranges:
        return {}
    day = case(*[(and_(Message.created_at >= a, Message.created_at < b), k) for k, a, b in ranges], else_=0)
    in_ranges = or_(*[and_(Message.created_at >= a, Message.created_at < b) for _, a, b in ranges])
    per_day: dict[Key, dict[int, int]] = defaultdict(dict)
    rows = session.execute(
        select(day, Message.intent, func.count(), func.count(distinct(Message.conversation_id)))
        .where(Message.sender == Sender.CUSTOMER, Message.intent.is_not(None), in_ranges)
        .group_by(day, Message.intent)
    )
    for k, intent, n_msgs, n_convs in rows:
        per_day[(MESSAGES, intent)][int(k)] = int(n_msgs)
        per_day[(CONVERSATIONS, intent)][int(k)] = int(n_convs)
    # A handoff counts under every topic its conversation raised (the live count uses the latest
    # one): the baseline errs high, so it can only make an alert rarer.
    hday = case(*[(and_(Handoff.created_at >= a, Handoff.created_at < b), k) for k, a, b in ranges], else_=0)
    h_in = or_(*[and_(Handoff.created_at >= a, Handoff.created_at < b) for _, a, b in ranges])
    topics = (select(Message.conversation_id, Message.intent)
              .where(Message.sender == Sender.CUSTOMER, Message.intent.is_not(None)).distinct().subquery())
    rows = session.execute(
        select(hday, topics.c.intent, func.count(distinct(Handoff.id)))
        .join(topics, topics.c.conversation_id == Handoff.conversation_id)
        .where(h_in).group_by(hday, topics.c.intent)
    )
    for k, intent, n in rows:
        per_day[(HANDOFFS, intent)][int(k)] = int(n)
    scale = s.window_minutes / (SPAN.total_seconds() / 60)
    days = [k for k, _, _ in ranges]
    return {key: _robust([counts.get(k, 0) for k in days], scale) for key, counts in per_day.items()}


def database_baselines(db: Database, s: SurgeSettings) -> Any:
    """A baseline provider for SurgeDetector reading db."""

    def provide(now: datetime) -> dict[Key, Baseline]:
        with db.session() as session:
            return baselines(session, now, s)

    return provide


def save_alert(session: Session, alert: Alert) -> None:
    """Insert or update the alert's row (its drivers as last seen, and when it ended)."""
    row = session.get(SurgeAlert, alert.id)
    if row is None:
        row = SurgeAlert(id=alert.id, started_at=alert.started_at)
        session.add(row)
    row.summary = alert.summary
    row.intents = [d.as_dict() for d in sorted(alert.drivers.values(), key=lambda d: -d.count)] or row.intents
    row.ended_at = alert.ended_at
    row.updated_at = alert.ended_at or datetime.now(alert.started_at.tzinfo)


def open_alert(session: Session, s: SurgeSettings) -> Alert | None:
    """Return the alert still open in the database (from before a restart), if any."""
    row = session.scalar(select(SurgeAlert).where(SurgeAlert.ended_at.is_(None)).order_by(SurgeAlert.started_at.desc()))
    if row is None:
        return None
    drivers = {str(d["intent"]): Driver(str(d["intent"]), str(d["kind"]), int(d["count"]), float(d["baseline"]),
                                        float(d["threshold"]), list(d.get("samples") or []))
               for d in row.intents or []}
    return Alert(row.id, row.started_at, drivers, s.window_minutes)


def recent_alerts(session: Session, limit: int = 20) -> list[SurgeAlert]:
    return list(session.scalars(select(SurgeAlert).order_by(SurgeAlert.started_at.desc()).limit(limit)))


def replay_window(session: Session, detector: SurgeDetector, now: datetime, s: SurgeSettings) -> None:
    """Feed the detector the last window's customer messages and handoffs (after a restart), in time order."""
    since = now - timedelta(minutes=s.window_minutes)
    msgs = session.execute(
        select(Message.conversation_id, Message.intent, Message.text, Message.created_at)
        .where(Message.sender == Sender.CUSTOMER, Message.created_at >= since).order_by(Message.id)
    ).all()
    handoffs = session.execute(
        select(Handoff.conversation_id, Handoff.created_at).where(Handoff.created_at >= since).order_by(Handoff.id)
    ).all()
    merged = sorted([(m.created_at, 0, m) for m in msgs] + [(h.created_at, 1, h) for h in handoffs],
                    key=lambda x: (x[0], x[1]))
    for _, kind, row in merged:
        if kind == 0:
            detector.observe_message(row.conversation_id, row.intent, row.text, row.created_at)
        else:
            detector.observe_handoff(row.conversation_id, None, row.created_at)
