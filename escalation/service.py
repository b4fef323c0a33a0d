"""The only place conversation ownership changes: hand off, accept, transfer, hand back, resolve."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.events import EventBus, events
from crm import Agent, Case, Conversation, ConversationStatus, Handoff, Message, Sender, store
from escalation.cases import open_case, say
from escalation.pace import observed_pace
from escalation.packet import build_packet
from escalation.queue import chats_ahead, expected_wait, open_count, queued_for
from escalation.routing import available, choose_agent
from escalation.settings import EscalationSettings
from escalation.triggers import CHITCHAT
from escalation.turns import Decision


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
    queued_behind: int | None = None  # chats ahead when the customer was told the wait


def _load(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Conversation.assigned_agent_id, func.count())
        .where(Conversation.status.in_(ConversationStatus.HUMAN_OWNED), Conversation.assigned_agent_id.is_not(None))
        .group_by(Conversation.assigned_agent_id)
    )
    return {int(a): int(n) for a, n in rows if a is not None}


def _last_agent(session: Session, conv: Conversation) -> int | None:
    """The agent who last took one of this customer's conversations (this one included)."""
    return session.scalar(
        select(Handoff.agent_id)
        .join(Conversation, Conversation.id == Handoff.conversation_id)
        .where(Conversation.customer_id == conv.customer_id, Handoff.accepted_at.is_not(None))
        .order_by(Handoff.accepted_at.desc())
        .limit(1)
    )


# Intents that say nothing about which skill the customer needs.
NOT_A_TOPIC = CHITCHAT | {"request_human", "nlu_fallback", "out_of_scope"}


def _topic(session: Session, conv: Conversation) -> str | None:
    """The customer's latest intent that names a topic (for matching skills), if any."""
    intents = session.scalars(
        select(Message.intent)
        .where(Message.conversation_id == conv.id, Message.sender == Sender.CUSTOMER, Message.intent.is_not(None))
        .order_by(Message.id.desc())
        .limit(20)
    )
    return next((i for i in intents if i not in NOT_A_TOPIC), None)


def _wait(session: Session, agent: Agent, s: EscalationSettings, now: datetime) -> tuple[int, int]:
    position = len(queued_for(session, agent.id)) + 1
    return position, expected_wait(agent, position, open_count(session, agent.id), s, observed_pace(session, s, now))


def _joining_text(agent: Agent, position: int, wait: int) -> str:
    team_part = f" from {agent.team}" if agent.team else ""
    if wait == 0:
        return (f"{agent.display_name}{team_part} will join you in a moment. They can see everything "
                "we've talked about, so you won't need to repeat anything.")
    first = agent.display_name.split()[0]
    return (f"{agent.display_name}{team_part} will join you shortly. You're number {position} in {first}'s "
            f"queue; expected wait {minutes(wait)}. They can see everything we've talked about.")


def minutes(seconds: int) -> str:
    m = max(1, round(seconds / 60))
    return "about a minute" if m == 1 else f"about {m} minutes"


def _route(session: Session, conv: Conversation, s: EscalationSettings, now: datetime, *,
           last_agent: int | None, team: str | None = None, exclude: int | None = None
           ) -> tuple[Agent | None, int | None, int | None]:
    """Choose who takes conv and where it stands in their queue; nobody when the wait is too long."""
    agents = list(session.scalars(select(Agent)))
    pick = partial(choose_agent, agents, customer_last_agent_id=last_agent, intent=_topic(session, conv),
                   language=s.language, load=_load(session), now=now, team=team, exclude=exclude)
    # Everyone at capacity: queue for the least loaded person while the wait stays bearable.
    agent = pick() or pick(full_ok=True)
    if agent is None:
        return None, None, None
    position, wait = _wait(session, agent, s, now)
    return (agent, position, wait) if wait <= s.wait_limit_seconds else (None, None, None)


def _tell_customer(session: Session, conv: Conversation, route: tuple[Agent | None, int | None, int | None],
                   packet: dict[str, Any], reason: str, bus: EventBus, s: EscalationSettings, now: datetime,
                   prefix: str = "") -> HandoffResult:
    """Say who is coming and when, or open a case with a promised time (noted in the packet)."""
    agent, position, wait = route
    if agent is not None:
        assert position is not None and wait is not None
        text = prefix + _joining_text(agent, position, wait)
        say(session, bus, conv, Sender.SYSTEM, text, kind="handoff", agent_name=agent.display_name,
            queue_position=position, expected_wait_seconds=wait)
        # Counted before this conversation took its seat (it is queued for agent already).
        behind = chats_ahead(agent, position, open_count(session, agent.id))
        return HandoffResult(agent.id, agent.display_name, agent.team, position, wait, None, None, text, behind)
    agents = list(session.scalars(select(Agent)))
    summary = str(packet.get("summary") or conv.handoff_reason or "Chat with the assistant")
    case = open_case(session, conv, agents, summary, reason, bus, s, now)
    packet["case"] = {"number": case.number, "promised_by": case.promised_by.isoformat()}
    return HandoffResult(None, None, None, None, None, case.number, case.promised_by, case.text)


def _record(session: Session, conv: Conversation, trigger: str, reason: str, result: HandoffResult,
            packet: dict[str, Any], bus: EventBus) -> None:
    session.add(Handoff(conversation_id=conv.id, trigger=trigger, reason=reason, agent_id=result.agent_id,
                        packet=packet, queued_behind=result.queued_behind))
    data = {"agent_id": result.agent_id, "trigger": trigger, "reason": reason, "case_number": result.case_number}
    bus.emit_after_commit(session, events.CONVERSATION_QUEUED, conv.id, **data)
    if result.agent_id is not None:
        bus.emit_after_commit(session, events.CONVERSATION_HANDED_OFF, conv.id, **data)


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
    route = _route(session, conv, s, now, last_agent=_last_agent(session, conv), team=team)
    packet = build_packet(session, conversation_id, decision)
    if not store.set_status(
        session,
        conversation_id,
        ConversationStatus.QUEUED,
        expected_version=conv.version,
        expected_status=[ConversationStatus.PENDING, ConversationStatus.RESOLVED],
        assigned_agent_id=route[0].id if route[0] else None,
        handoff_reason=decision.reason,
    ):
        return None  # someone else changed it a moment ago
    result = _tell_customer(session, conv, route, packet, decision.reason or "", bus, s, now)
    _record(session, conv, decision.trigger or "unknown", decision.reason or "", result, packet, bus)
    return result


def reroute(session: Session, conversation_id: str, bus: EventBus, *, now: datetime | None = None,
            settings: EscalationSettings | None = None) -> HandoffResult | None:
    """Find someone else for a customer waiting for an agent who has gone away; failing that, open a case.

    Returns None when the conversation is no longer waiting for a named agent.
    """
    s = settings or EscalationSettings()
    now = now or utcnow()
    conv = store.get_conversation(session, conversation_id)
    if conv.status != ConversationStatus.QUEUED or conv.assigned_agent_id is None:
        return None
    gone = session.get(Agent, conv.assigned_agent_id)
    gone_name = gone.display_name if gone else "Your agent"
    route = _route(session, conv, s, now, last_agent=None, exclude=conv.assigned_agent_id)
    if not store.set_status(session, conversation_id, ConversationStatus.QUEUED, expected_version=conv.version,
                            expected_status=[ConversationStatus.QUEUED],
                            assigned_agent_id=route[0].id if route[0] else None):
        return None
    last = session.scalar(select(Handoff).where(Handoff.conversation_id == conversation_id).order_by(Handoff.id.desc()))
    packet = dict(last.packet) if last else {}
    reason = f"{gone_name} became unavailable before accepting"
    result = _tell_customer(session, conv, route, packet, reason, bus, s, now,
                            prefix=f"{gone_name} isn't available after all. ")
    _record(session, conv, "reroute", reason, result, packet, bus)
    return result


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
    say(
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
    load, now = _load(session), utcnow()
    if to_agent_id:
        named = session.get(Agent, to_agent_id)
        # A named colleague must be able to take it now; room is not required (they queue it).
        target = named if named is not None and available(named, load, now, full_ok=True) else None
    else:
        target = choose_agent(agents, customer_last_agent_id=None, intent=None, language=None, load=load, now=now,
                              team=to_team, exclude=from_agent_id)
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
    say(
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
    say(
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
    say(
        session,
        bus,
        conv,
        Sender.SYSTEM,
        f"{agent.display_name if agent else 'Our agent'} has marked this conversation as resolved. How did we do?",
        kind="rating_request",
    )
    for case in session.scalars(select(Case).where(Case.conversation_id == conversation_id, Case.status == "open")):
        if case.promise_kind in ("agent", "technician"):
            continue  # a promise made in this chat for later is kept by its follow-up, not by resolving (issue 10)
        # The person who resolved the chat kept the promise the case stood for.
        case.status = "closed"
        bus.emit_after_commit(session, events.CASE_UPDATED, conversation_id, case_number=case.number, status="closed")
    bus.emit_after_commit(session, events.CONVERSATION_RESOLVED, conversation_id, agent_id=agent_id)
    return True
