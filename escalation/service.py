"""The only place conversation ownership changes: hand off, accept, transfer, hand back, resolve."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.events import Event, EventBus, events
from crm import Agent, Case, Conversation, ConversationStatus, Handoff, Message, Sender, store
from escalation.hours import describe, next_follow_up
from escalation.packet import build_packet
from escalation.routing import choose_agent
from escalation.settings import EscalationSettings
from escalation.turns import Decision

CONTACT_OPTIONS = ["Email me", "Call me", "Reply here in the chat"]


@dataclass
class HandoffResult:
    agent_id: int | None
    agent_name: str | None
    team: str | None
    queue_position: int | None
    expected_wait_seconds: int | None
    case_number: str | None
    promised_by: datetime | None
    customer_message: str


def _say(session: Session, bus: EventBus, conv: Conversation, sender: str, text: str, **meta: Any) -> Message:
    msg, _ = store.add_message(session, conv, sender, text, meta=meta)
    bus.publish_after_commit(session, Event(events.MESSAGE_CREATED, store.message_dict(msg), conversation_id=conv.id))
    return msg


def _load(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Conversation.assigned_agent_id, func.count())
        .where(Conversation.status.in_(ConversationStatus.HUMAN_OWNED), Conversation.assigned_agent_id.is_not(None))
        .group_by(Conversation.assigned_agent_id)
    )
    return {int(a): int(n) for a, n in rows}


def _last_agent(session: Session, conv: Conversation) -> int | None:
    return session.scalar(
        select(Conversation.assigned_agent_id)
        .where(
            Conversation.customer_id == conv.customer_id,
            Conversation.id != conv.id,
            Conversation.assigned_agent_id.is_not(None),
        )
        .order_by(Conversation.created_at.desc())
        .limit(1)
    )


def _wait(session: Session, agent: Agent, s: EscalationSettings) -> tuple[int, int]:
    ahead = (
        session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.status == ConversationStatus.QUEUED, Conversation.assigned_agent_id == agent.id)
        )
        or 0
    )
    position = int(ahead) + 1
    busy = _load(session).get(agent.id, 0)
    waiting = 0 if busy < agent.capacity and ahead == 0 else position * s.seconds_per_queued_chat
    return position, int(waiting)


def minutes(seconds: int) -> str:
    m = max(1, round(seconds / 60))
    return "about a minute" if m == 1 else f"about {m} minutes"


def hand_off(
    session: Session,
    conversation_id: str,
    decision: Decision,
    bus: EventBus,
    *,
    now: datetime | None = None,
    settings: EscalationSettings | None = None,
    team: str | None = None,
) -> HandoffResult | None:
    """Give the conversation to a named person, or make it a case with a promised follow-up time.

    Returns None when a person already owns the conversation (handoff is idempotent).
    """
    s = settings or EscalationSettings()
    now = now or utcnow()
    conv = store.get_conversation(session, conversation_id)
    if conv.status in ConversationStatus.HUMAN_OWNED:
        return None
    agents = list(session.scalars(select(Agent)))
    load = _load(session)
    last_customer = session.scalar(
        select(Message)
        .where(Message.conversation_id == conv.id, Message.sender == Sender.CUSTOMER)
        .order_by(Message.id.desc())
    )
    intent = last_customer.intent if last_customer else None
    agent = choose_agent(
        agents,
        customer_last_agent_id=_last_agent(session, conv),
        intent=intent,
        language="en",
        load=load,
        now=now,
        team=team,
    )
    position = wait = None
    if agent is not None:
        position, wait = _wait(session, agent, s)
        if wait > s.wait_limit_seconds:
            agent = None
    packet = build_packet(session, conversation_id, decision)
    if not store.set_status(
        session,
        conversation_id,
        ConversationStatus.QUEUED,
        expected_version=conv.version,
        expected_status=[ConversationStatus.PENDING, ConversationStatus.RESOLVED],
        assigned_agent_id=agent.id if agent else None,
        handoff_reason=decision.reason,
    ):
        return None  # someone else changed it a moment ago
    session.add(
        Handoff(
            conversation_id=conv.id,
            trigger=decision.trigger or "unknown",
            reason=decision.reason or "",
            agent_id=agent.id if agent else None,
            packet=packet,
        )
    )
    if agent is not None:
        assert position is not None and wait is not None
        team_part = f" from {agent.team}" if agent.team else ""
        first = agent.display_name.split()[0]
        if wait == 0:
            text = (f"{agent.display_name}{team_part} will join you in a moment. They can see everything "
                    "we've talked about, so you won't need to repeat anything.")
        else:
            text = (
                f"{agent.display_name}{team_part} will join you shortly. You're number {position} in {first}'s "
                f"queue; expected wait {minutes(wait)}. They can see everything we've talked about."
            )
        _say(session, bus, conv, Sender.SYSTEM, text, kind="handoff", agent_name=agent.display_name)
        result = HandoffResult(agent.id, agent.display_name, agent.team, position, wait, None, None, text)
    else:
        tz = next((a.timezone for a in agents if a.timezone), "UTC")
        promised = next_follow_up(
            now,
            [(a.working_hours or {}, a.timezone or "UTC") for a in agents if a.role == "agent"],
            timedelta(minutes=s.follow_up_margin_minutes),
        )
        number = store.next_case_number(session)
        title = packet["summary"][:300]
        session.add(
            Case(
                number=number,
                customer_id=conv.customer_id,
                conversation_id=conv.id,
                title=title,
                status="open",
                promised_by=promised,
                notes=f"Opened automatically: {decision.reason}",
            )
        )
        session.flush()
        text = (
            f"Our team isn't available to chat right now, so I've opened case {number} with everything you've "
            f"told me. A person will get back to you by {describe(promised, tz)}. How would you like us to reach you?"
        )
        _say(session, bus, conv, Sender.SYSTEM, text, kind="case_opened", case_number=number, options=CONTACT_OPTIONS)
        bus.emit_after_commit(session, events.CASE_OPENED, conv.id, case_number=number,
                              promised_by=promised.isoformat())
        result = HandoffResult(None, None, None, None, None, number, promised, text)
    data = {
        "agent_id": result.agent_id,
        "trigger": decision.trigger,
        "reason": decision.reason,
        "case_number": result.case_number,
    }
    bus.emit_after_commit(session, events.CONVERSATION_QUEUED, conv.id, **data)
    if result.agent_id is not None:
        bus.emit_after_commit(session, events.CONVERSATION_HANDED_OFF, conv.id, **data)
    return result


def record_contact_choice(session: Session, conversation_id: str, text: str, bus: EventBus) -> bool:
    """If the customer just picked how to be reached for their new case, note it and say so."""
    conv = store.get_conversation(session, conversation_id)
    choice = next((o for o in CONTACT_OPTIONS if o.lower() == text.strip().lower()), None)
    if choice is None:
        return False
    case = session.scalar(
        select(Case).where(Case.conversation_id == conv.id, Case.status == "open").order_by(Case.id.desc())
    )
    if case is None or case.contact_method:
        return False
    case.contact_method = {"Email me": "email", "Call me": "phone"}.get(choice, "chat")
    how = {"email": "by email", "phone": "by phone", "chat": "here in the chat"}[case.contact_method]
    _say(
        session,
        bus,
        conv,
        Sender.SYSTEM,
        f"Thanks — we'll get back to you {how} about case {case.number}.",
        kind="contact_choice",
        case_number=case.number,
    )
    bus.emit_after_commit(session, events.CASE_UPDATED, conv.id, case_number=case.number,
                          contact_method=case.contact_method)
    return True


def accept(session: Session, conversation_id: str, agent_id: int, bus: EventBus) -> bool:
    """Take a queued conversation; exactly one of two simultaneous accepts wins."""
    conv = store.get_conversation(session, conversation_id)
    if conv.status != ConversationStatus.QUEUED or conv.assigned_agent_id not in (None, agent_id):
        return False
    if not store.set_status(
        session,
        conversation_id,
        ConversationStatus.OPEN,
        expected_version=conv.version,
        expected_status=[ConversationStatus.QUEUED],
        assigned_agent_id=agent_id,
    ):
        return False
    agent = session.get(Agent, agent_id)
    assert agent is not None
    h = session.scalar(select(Handoff).where(Handoff.conversation_id == conversation_id).order_by(Handoff.id.desc()))
    if h is not None:
        h.accepted_at, h.agent_id = utcnow(), agent_id
    _say(
        session,
        bus,
        conv,
        Sender.SYSTEM,
        f"{agent.display_name} has joined the conversation.",
        kind="joined",
        agent_name=agent.display_name,
    )
    bus.emit_after_commit(session, events.CONVERSATION_ACCEPTED, conversation_id, agent_id=agent_id)
    return True


def transfer(
    session: Session,
    conversation_id: str,
    from_agent_id: int,
    to_agent_id: int | None,
    to_team: str | None,
    note: str,
    bus: EventBus,
) -> bool:
    """Pass an open conversation to a named agent or a team, keeping the packet and adding a note."""
    conv = store.get_conversation(session, conversation_id)
    if conv.status != ConversationStatus.OPEN or conv.assigned_agent_id != from_agent_id:
        return False
    agents = list(session.scalars(select(Agent)))
    target = (
        session.get(Agent, to_agent_id)
        if to_agent_id
        else choose_agent(
            agents,
            customer_last_agent_id=None,
            intent=None,
            language=None,
            load=_load(session),
            now=utcnow(),
            team=to_team,
            exclude=from_agent_id,
        )
    )
    if target is None or target.id == from_agent_id:
        return False
    if not store.set_status(
        session,
        conversation_id,
        ConversationStatus.QUEUED,
        expected_version=conv.version,
        expected_status=[ConversationStatus.OPEN],
        assigned_agent_id=target.id,
    ):
        return False
    src = session.get(Agent, from_agent_id)
    last = session.scalar(select(Handoff).where(Handoff.conversation_id == conversation_id).order_by(Handoff.id.desc()))
    packet = dict(last.packet) if last else {}
    packet["transfer_note"] = note
    packet["transferred_by"] = src.display_name if src else None
    reason = f"Transferred by {src.display_name if src else 'an agent'}: {note}".strip()
    session.add(
        Handoff(conversation_id=conversation_id, trigger="transfer", reason=reason, agent_id=target.id, packet=packet)
    )
    if note:
        store.add_message(
            session,
            conv,
            Sender.NOTE,
            f"Transfer to {target.display_name}: {note}",
            agent_id=from_agent_id,
            meta={"agent_name": src.display_name if src else None},
        )
    team_part = f" from {target.team}" if target.team else ""
    _say(
        session,
        bus,
        conv,
        Sender.SYSTEM,
        f"I'm passing you to {target.display_name}{team_part}, who can see our "
        "whole conversation. They'll be with you shortly.",
        kind="transfer",
        agent_name=target.display_name,
    )
    bus.emit_after_commit(session, events.CONVERSATION_TRANSFERRED, conversation_id, agent_id=target.id,
                          from_agent_id=from_agent_id, note=note)
    return True


def _leave_open(session: Session, conversation_id: str, agent_id: int, status: str, **fields: Any) -> Any:
    """Move the agent's own open conversation to status (compare-and-set); return it, or None if not theirs."""
    conv = store.get_conversation(session, conversation_id)
    if conv.status != ConversationStatus.OPEN or conv.assigned_agent_id != agent_id:
        return None
    if not store.set_status(session, conversation_id, status, expected_version=conv.version,
                            expected_status=[ConversationStatus.OPEN], **fields):
        return None
    return conv


def hand_back(session: Session, conversation_id: str, agent_id: int, bus: EventBus) -> bool:
    """Return the conversation to the bot, which resumes with everything it already knows."""
    conv = _leave_open(session, conversation_id, agent_id, ConversationStatus.PENDING, assigned_agent_id=None)
    if conv is None:
        return False
    _say(
        session,
        bus,
        conv,
        Sender.SYSTEM,
        "You're back with our virtual assistant. Ask me anything else — or ask for a person at any time.",
        kind="handed_back",
    )
    bus.emit_after_commit(session, events.CONVERSATION_HANDED_BACK, conversation_id, agent_id=agent_id)
    return True


def resolve(session: Session, conversation_id: str, agent_id: int, bus: EventBus) -> bool:
    """Close the conversation and ask the customer for a 1–5 rating."""
    conv = _leave_open(session, conversation_id, agent_id, ConversationStatus.RESOLVED)
    if conv is None:
        return False
    agent = session.get(Agent, agent_id)
    _say(
        session,
        bus,
        conv,
        Sender.SYSTEM,
        f"{agent.display_name if agent else 'Our agent'} has marked this conversation as resolved. How did we do?",
        kind="rating_request",
    )
    bus.emit_after_commit(session, events.CONVERSATION_RESOLVED, conversation_id, agent_id=agent_id)
    return True
