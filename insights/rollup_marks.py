"""Mark the rollup hours a write changes, in the write's own transaction (an ORM flush hook).

Any flush that adds, changes or deletes a conversation's rating or start, a message or a handoff
marks the hours whose rollup it changes: the row's own hour, and for messages and handoffs the hours
their conversation is counted in (its start, for containment; its first bot handoff, for first
response). Being in the same transaction, a committed change is never left unmarked; bulk SQL
statements (the erasure's deletes) mark with insights.rollups.mark_conversations instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from itertools import chain
from typing import Any

from sqlalchemy import event, func, insert, inspect, select
from sqlalchemy.orm import Session

from crm import Conversation, Handoff, Message
from insights.dashboard import NOT_BOT_HANDOFFS
from insights.rollup_models import DirtyHour

# The columns a figure reads; a change to any other (a status, a redacted text) leaves the rollups as they are.
WATCHED: dict[type, tuple[str, ...]] = {
    Conversation: ("rating", "created_at"),
    Message: ("conversation_id", "sender", "intent", "sentiment", "meta", "created_at"),
    Handoff: ("conversation_id", "trigger", "created_at", "accepted_at"),
}


def install() -> None:
    """Listen to every session's flushes (once per process)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def _times(obj: Any, new: bool) -> tuple[list[datetime], bool]:
    """The watched row's hours to mark (old and new values) and whether it changed at all."""
    state = inspect(obj)
    times: list[datetime] = [obj.created_at] if obj.created_at is not None else []
    if new:
        return times, True
    changed = False
    for name in WATCHED[type(obj)]:
        hist = state.attrs[name].history
        if hist.has_changes():
            changed = True
            if name == "created_at":
                times.extend(t for t in hist.deleted if t is not None)
    return times, changed


def _after_flush(session: Session, _ctx: Any) -> None:
    hours: list[datetime] = []
    conversations: set[str] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        kind = type(obj)
        if kind not in WATCHED:
            continue
        times, changed = _times(obj, obj in session.new or obj in session.deleted)
        if not changed:
            continue
        hours.extend(times)
        if kind is not Conversation and obj.conversation_id:
            conversations.add(obj.conversation_id)
    if hours or conversations:
        hours.extend(conversation_hours(session, conversations))
        _insert(session, hours)


def conversation_hours(session: Session, ids: Iterable[str]) -> list[datetime]:
    """The times a conversation is counted at besides its rows' own: its start and its first bot handoff."""
    ids = sorted(ids)
    out: list[datetime] = []
    conn = session.connection()
    # One statement per chunk (this runs on every write of a turn: one round trip, not two).
    first_handoff = (
        select(func.min(Handoff.created_at))
        .where(Handoff.conversation_id == Conversation.id, Handoff.trigger.not_in(NOT_BOT_HANDOFFS))
        .correlate(Conversation)
        .scalar_subquery()
    )
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        for started, handed_off in conn.execute(
                select(Conversation.created_at, first_handoff).where(Conversation.id.in_(chunk))):
            out.extend((started, handed_off))
    return [t for t in out if t is not None]


def _insert(session: Session, times: Iterable[datetime]) -> None:
    from insights.rollups import floor_hour

    rows = [{"hour": h} for h in sorted({floor_hour(t) for t in times})]
    if rows:
        session.connection().execute(insert(DirtyHour), rows)
