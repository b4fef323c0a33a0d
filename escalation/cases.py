"""When nobody can chat now: a case with a promised follow-up time, and how the customer wants to be reached."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.events import Event, EventBus, events
from crm import Agent, Case, Conversation, Message, Sender, store
from escalation.hours import describe, next_follow_up
from escalation.settings import EscalationSettings

CONTACT_OPTIONS = ["Email me", "Call me", "Reply here in the chat"]
# A short free-text answer to "how would you like us to reach you?" counts as well as a button.
_METHOD_WORDS = [("email", re.compile(r"\be-?mail\b", re.I)),
                 ("phone", re.compile(r"\b(call|phone|ring)\b", re.I)),
                 ("chat", re.compile(r"\b(chat|here|message)\b", re.I))]
_DETAIL = {"email": "email", "phone": "phone"}  # the customer field each method needs
_HOW = {"email": "by email", "phone": "by phone", "chat": "here in the chat"}
_ASK = {"email": "What email address should we use?", "phone": "What number should we call?"}


def say(session: Session, bus: EventBus, conv: Conversation, sender: str, text: str, **meta: Any) -> Message:
    """Record a message and announce it once the transaction commits."""
    msg, _ = store.add_message(session, conv, sender, text, meta=meta)
    bus.publish_after_commit(session, Event(events.MESSAGE_CREATED, store.message_dict(msg), conversation_id=conv.id))
    return msg


@dataclass(frozen=True)
class OpenedCase:
    number: str
    promised_by: datetime
    text: str


def open_case(session: Session, conv: Conversation, agents: Sequence[Agent], summary: str, reason: str,
              bus: EventBus, s: EscalationSettings, now: datetime) -> OpenedCase:
    """Open a case for conv, promise a follow-up time from working hours, and ask how to reach the customer."""
    from crm.tenant import company_timezone

    tz = company_timezone(session, list(agents))
    promised = next_follow_up(
        now,
        [(a.working_hours or {}, a.timezone or "UTC") for a in agents if a.role == "agent" and a.active is not False],
        timedelta(minutes=s.follow_up_margin_minutes),
    )
    number = store.next_case_number(session)
    session.add(Case(number=number, customer_id=conv.customer_id, conversation_id=conv.id, title=summary[:300],
                     status="open", promised_by=promised, notes=f"Opened automatically: {reason}"))
    session.flush()
    text = (
        f"Our team isn't available to chat right now, so I've opened case {number} with everything you've "
        f"told me. A person will get back to you by {describe(promised, tz)}. How would you like us to reach you?"
    )
    say(session, bus, conv, Sender.SYSTEM, text, kind="case_opened", case_number=number, options=CONTACT_OPTIONS)
    bus.emit_after_commit(session, events.CASE_OPENED, conv.id, case_number=number, promised_by=promised.isoformat())
    return OpenedCase(number, promised, text)


def _chosen_method(text: str) -> str | None:
    flat = text.strip().lower()
    button = {"email me": "email", "call me": "phone", "reply here in the chat": "chat"}.get(flat)
    if button or len(flat) > 40:  # a long message is the customer telling us more, not picking a channel
        return button
    return next((method for method, words in _METHOD_WORDS if words.search(flat)), None)


def _entity(message: Message | None, name: str) -> str | None:
    for e in (message.parse or {}).get("entities") or [] if message else []:
        if e.get("entity") == name and e.get("value"):
            return str(e["value"])
    return None


def record_contact_choice(session: Session, conversation_id: str, text: str, bus: EventBus) -> bool:
    """Note how the customer wants to be reached about their new case, asking for the address or number we lack.

    Returns True when the message was about the contact choice (and has been answered).
    """
    conv = store.get_conversation(session, conversation_id)
    case = session.scalar(
        select(Case).where(Case.conversation_id == conv.id, Case.status == "open").order_by(Case.id.desc())
    )
    if case is None:
        return False
    customer = conv.customer
    latest = session.scalar(select(Message).where(Message.conversation_id == conv.id, Message.sender == Sender.CUSTOMER)
                            .order_by(Message.id.desc()).limit(1))
    method = case.contact_method
    fresh = method is None
    if method is None:
        method = _chosen_method(text)
        if method is None:
            return False
        case.contact_method = method
    field = _DETAIL.get(method)
    if not fresh and (field is None or getattr(customer, field)):
        return False  # settled already: the message is for the person who picks the case up
    if field is not None and not getattr(customer, field):
        value = _entity(latest, field)
        if value is None:
            ask = _ASK[method] if fresh else f"Sorry, I couldn't find one in that. {_ASK[method]}"
            say(session, bus, conv, Sender.SYSTEM, ask, kind="contact_detail", case_number=case.number)
            bus.emit_after_commit(session, events.CASE_UPDATED, conv.id, case_number=case.number,
                                  contact_method=method)
            return True
        setattr(customer, field, value)
        store.add_identity(session, customer, field, value)
    detail = getattr(customer, field) if field else None
    where = f" at {detail}" if detail else ""
    say(session, bus, conv, Sender.SYSTEM, f"Thanks — we'll get back to you {_HOW[method]}{where} about case "
        f"{case.number}.", kind="contact_choice", case_number=case.number)
    bus.emit_after_commit(session, events.CASE_UPDATED, conv.id, case_number=case.number, contact_method=method)
    return True
