"""Conversation search for the agents' inbox: by customer, text, case number, handoff tag and date (issue 14)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from crm.models import Case, Conversation, Customer, Handoff, Message, Sender

__all__ = ["SearchQuery", "search_conversations"]

MAX_RESULTS = 50


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""  # customer name/email, words in the transcript, or a case number
    triggers: Collection[str] = ()  # handoff triggers (the inbox's reason tags)
    statuses: Collection[str] = ()
    since: date | None = None
    until: date | None = None  # inclusive


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def search_conversations(session: Session, q: SearchQuery, *, allowed: Select[tuple[str]] | None = None,
                         limit: int = MAX_RESULTS) -> Sequence[Conversation]:
    """Return conversations that went to a person, newest first, matching q (every given part must match).

    allowed, a select of conversation ids, limits the result to what the asking agent may see.
    """
    stmt = select(Conversation).join(Customer, Customer.id == Conversation.customer_id).where(
        exists().where(Handoff.conversation_id == Conversation.id))
    text = q.text.strip()
    if text:
        pattern = _like(text)
        stmt = stmt.where(or_(
            func.lower(Customer.name).like(pattern, escape="\\"),
            func.lower(Customer.email).like(pattern, escape="\\"),
            exists().where(Message.conversation_id == Conversation.id, Message.sender != Sender.NOTE,
                           func.lower(Message.text).like(pattern, escape="\\")),
            exists().where(Case.conversation_id == Conversation.id, func.lower(Case.number).like(pattern, escape="\\")),
        ))
    if q.triggers:
        stmt = stmt.where(exists().where(Handoff.conversation_id == Conversation.id, Handoff.trigger.in_(q.triggers)))
    if q.statuses:
        stmt = stmt.where(Conversation.status.in_(q.statuses))
    if q.since:
        stmt = stmt.where(Conversation.created_at >= datetime.combine(q.since, time.min, tzinfo=UTC))
    if q.until:
        stmt = stmt.where(Conversation.created_at < datetime.combine(q.until + timedelta(days=1), time.min, tzinfo=UTC))
    if allowed is not None:
        stmt = stmt.where(Conversation.id.in_(allowed))
    return session.scalars(stmt.order_by(Conversation.updated_at.desc()).limit(limit)).all()
