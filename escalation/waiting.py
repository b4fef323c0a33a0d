"""Honest waiting (issue 14): what a waiting customer is told, in the header and in the messages alike.

Business hours (the tenant's, or derived from the agents' working hours), the expected reply time
before the customer writes, and a short acknowledgement of what they add while they wait for a
person or for a case to be picked up: one per burst, never a wall of text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.events import EventBus
from crm import Agent, Case, Conversation, ConversationStatus, Message, Sender, store
from crm.tenant import company_timezone, get_one
from escalation.cases import say
from escalation.hours import DAYS, day_ranges, is_working, next_follow_up
from escalation.queue import queue_status
from escalation.routing import available
from escalation.settings import EscalationSettings

__all__ = ["ACK_QUIET_SECONDS", "Waiting", "acknowledge", "availability", "business_hours", "hours_text",
           "waiting_for", "when_text"]

ACK_QUIET_SECONDS = 120  # a fast typist gets one acknowledgement per two minutes, not one per message


def zone_label(tz: str) -> str:
    return "UK time" if tz == "Europe/London" else tz


def when_text(at: datetime, tz: str, now: datetime) -> str:
    """'07:30 tomorrow (UK time)', '14:00 today (UK time)', '09:00 on Monday (UK time)'."""
    zone = ZoneInfo(tz)
    local, today = at.astimezone(zone), now.astimezone(zone).date()
    days = (local.date() - today).days
    if days <= 0:
        day = "today"
    elif days == 1:
        day = "tomorrow"
    elif days < 7:
        day = f"on {local:%A}"
    else:
        day = f"on {local:%A} {local.day} {local:%B}"
    return f"{local:%H:%M} {day} ({zone_label(tz)})"


def _staff(session: Session) -> list[Agent]:
    return [a for a in session.scalars(select(Agent).order_by(Agent.id)) if a.role == "agent" and a.active is not False]


def business_hours(session: Session) -> tuple[dict[str, str], str]:
    """Return the tenant's opening hours and zone: the admin's setting, else the span the agents cover."""
    tz = company_timezone(session)
    configured = get_one(session, "business_hours")
    if configured:
        return dict(configured), tz
    spans: dict[int, tuple[time, time]] = {}
    for a in _staff(session):
        for day, (start, end) in day_ranges(a.working_hours or {}).items():
            # Shifts in another zone are not folded into the company's: show the company's own agents' hours.
            if (a.timezone or "UTC") != tz:
                continue
            lo, hi = spans.get(day, (start, end))
            spans[day] = (min(lo, start), max(hi, end))
    return {DAYS[d]: f"{s:%H:%M}-{e:%H:%M}" for d, (s, e) in sorted(spans.items())}, tz


def hours_text(hours: Mapping[str, str], tz: str) -> str:
    """'Mon–Fri 07:00–20:00 · Sat 08:00–16:00 (UK time)', grouping consecutive days with equal hours."""
    if not hours:
        return "Open around the clock"
    ranges = day_ranges(hours)
    groups: list[tuple[int, int, tuple[time, time]]] = []
    for d in range(7):
        span = ranges.get(d)
        if span is None:
            continue
        if groups and groups[-1][1] == d - 1 and groups[-1][2] == span:
            groups[-1] = (groups[-1][0], d, span)
        else:
            groups.append((d, d, span))
    parts = []
    for a, b, (s, e) in groups:
        days = DAYS[a].title() if a == b else f"{DAYS[a].title()}–{DAYS[b].title()}"
        parts.append(f"{days} {s:%H:%M}–{e:%H:%M}")
    return " · ".join(parts) + f" ({zone_label(tz)})"


def availability(session: Session, now: datetime, s: EscalationSettings | None = None) -> dict[str, Any]:
    """What the widget shows before the customer types: business hours and when a person would reply."""
    s = s or EscalationSettings()
    hours, tz = business_hours(session)
    staff = _staff(session)
    open_now = bool(hours) and is_working(hours, tz, now) or not hours
    someone = any(available(a, {}, now, full_ok=True) for a in staff)
    if someone:
        reply = "A person can join within a few minutes"
    else:
        promised = next_follow_up(now, [(a.working_hours or {}, a.timezone or "UTC") for a in staff],
                                  timedelta(minutes=s.follow_up_margin_minutes))
        reply = f"No one is available to chat now · a person will reply by {when_text(promised, tz, now)}"
    return {"open_now": open_now, "someone_available": someone, "hours": hours_text(hours, tz), "reply": reply}


@dataclass(frozen=True)
class Waiting:
    """Where a customer waiting for a person stands, in words the header and the messages share."""

    kind: str  # case | named | anyone
    title: str
    promise: str
    receipt: str
    case_number: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"waiting": self.kind, "waiting_title": self.title, "promise": self.promise,
                "receipt": self.receipt, "case_number": self.case_number}


def _open_case(session: Session, conv: Conversation) -> Case | None:
    return session.scalar(select(Case).where(Case.conversation_id == conv.id, Case.status == "open")
                          .order_by(Case.id.desc()))


def _first(agent: Agent | None) -> str | None:
    return agent.display_name.split()[0] if agent is not None else None


def waiting_for(session: Session, conv: Conversation, now: datetime,
                s: EscalationSettings | None = None) -> Waiting | None:
    """Return what conv is waiting for, or None when nobody is waiting (the bot or a person has it)."""
    if conv.status != ConversationStatus.QUEUED:
        return None
    case = _open_case(session, conv)
    if case is not None and conv.assigned_agent_id is None:
        tz = company_timezone(session)
        who = _first(session.get(Agent, case.assigned_agent_id)) if case.assigned_agent_id else None
        when = when_text(case.promised_by, tz, now) if case.promised_by else "as soon as someone is in"
        promise = f"{who or 'A person from our team'} will reply by {when}"
        return Waiting("case", f"Case {case.number} is open", promise, f"Added to case {case.number}", case.number)
    agent = session.get(Agent, conv.assigned_agent_id) if conv.assigned_agent_id else None
    if agent is not None:
        place = queue_status(session, conv, s)
        if place is None or place.expected_wait_seconds == 0:
            promise = f"{_first(agent)} will join you in a moment"
        else:
            mins = max(1, round(place.expected_wait_seconds / 60))
            promise = (f"{_first(agent)} will join you in about {mins} minute{'s' if mins > 1 else ''} "
                       f"(you're number {place.position})")
        return Waiting("named", f"{agent.display_name} will join you", promise, f"Passed to {_first(agent)}")
    return Waiting("anyone", "Connecting you to a person", "The next free person will join you",
                   "Passed to our team")


def _recent_ack(session: Session, conversation_id: str, now: datetime) -> bool:
    rows = session.scalars(select(Message).where(Message.conversation_id == conversation_id,
                                                 Message.sender == Sender.SYSTEM).order_by(Message.id.desc()).limit(20))
    for m in rows:
        meta = m.meta or {}
        if meta.get("kind") == "waiting_ack":  # its own clock, so tests inject time (created_at is the wall's)
            at = datetime.fromisoformat(meta.get("acked_at") or m.created_at.isoformat())
            return abs((now - at).total_seconds()) < ACK_QUIET_SECONDS
    return False


def acknowledge(session: Session, conversation_id: str, bus: EventBus, now: datetime,
                s: EscalationSettings | None = None, *, extra: str = "") -> Message | None:
    """Acknowledge a customer message written while waiting; None when it is not waiting or was just acknowledged.

    The first message of a burst gets "Added to case CS-10565; Grace will reply by 07:30 tomorrow (UK time)."
    and the rest of the burst (within ACK_QUIET_SECONDS) only the widget's quiet receipt under each message.
    """
    conv = store.get_conversation(session, conversation_id)
    waiting = waiting_for(session, conv, now, s)
    if waiting is None or _recent_ack(session, conversation_id, now):
        return None
    promise = waiting.promise
    if promise.startswith(("A person", "The next")):  # mid-sentence after the receipt
        promise = promise[0].lower() + promise[1:]
    text = f"{waiting.receipt}; {promise}."
    if extra:
        text += " " + extra
    return say(session, bus, conv, Sender.SYSTEM, text, kind="waiting_ack", acked_at=now.isoformat(),
               **waiting.as_dict())
