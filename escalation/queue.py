"""Where a waiting customer stands: position in the named agent's queue and the expected wait."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import utcnow
from crm import Agent, Conversation, ConversationStatus, Handoff
from escalation.pace import Pace, observed_pace
from escalation.settings import EscalationSettings


@dataclass(frozen=True)
class QueueStatus:
    agent_id: int
    position: int  # 1 = next to be picked up
    expected_wait_seconds: int

    def as_dict(self) -> dict[str, int]:
        return {"queue_position": self.position, "expected_wait_seconds": self.expected_wait_seconds}


def expected_wait(agent: Agent, position: int, open_count: int, s: EscalationSettings, pace: Pace | None = None) -> int:
    """Seconds until a chat at position is picked up: free seats go first, each later chat waits a turn.

    A turn lasts the observed pace when recent handoffs show one (escalation/pace.py), else
    SECONDS_PER_QUEUED_CHAT; a free seat waits the observed pick-up time (else none).
    """
    pace = pace or Pace(s.seconds_per_queued_chat, 0, False)
    ahead = chats_ahead(agent, position, open_count)
    # Never less than a free seat waits: a later place in the queue is never promised sooner.
    return pace.reaction_seconds if ahead == 0 else max(pace.reaction_seconds, ahead * pace.seconds_per_chat)


def chats_ahead(agent: Agent, position: int, open_count: int) -> int:
    """How many chats must finish before the one at position gets a seat."""
    return max(0, position - max(0, agent.capacity - open_count))


def open_count(session: Session, agent_id: int) -> int:
    return int(session.scalar(
        select(func.count()).select_from(Conversation)
        .where(Conversation.status == ConversationStatus.OPEN, Conversation.assigned_agent_id == agent_id)
    ) or 0)


def queued_for(session: Session, agent_id: int) -> list[str]:
    """Return the conversations waiting for agent_id, first come first."""
    latest = (
        select(Handoff.conversation_id, func.max(Handoff.id).label("handoff_id"))
        .group_by(Handoff.conversation_id)
        .subquery()
    )
    rows = session.execute(
        select(Conversation.id)
        .join(latest, latest.c.conversation_id == Conversation.id, isouter=True)
        .where(Conversation.status == ConversationStatus.QUEUED, Conversation.assigned_agent_id == agent_id)
        .order_by(latest.c.handoff_id, Conversation.updated_at)
    )
    return [r[0] for r in rows]


def queue_statuses(session: Session, agent_id: int, s: EscalationSettings | None = None) -> dict[str, QueueStatus]:
    """Return the queue status of every conversation waiting for agent_id."""
    s = s or EscalationSettings()
    agent = session.get(Agent, agent_id)
    if agent is None:
        return {}
    busy = open_count(session, agent_id)
    pace = observed_pace(session, s, utcnow())
    return {
        cid: QueueStatus(agent_id, i, expected_wait(agent, i, busy, s, pace))
        for i, cid in enumerate(queued_for(session, agent_id), start=1)
    }


def queue_status(session: Session, conv: Conversation, s: EscalationSettings | None = None) -> QueueStatus | None:
    """Return where conv stands in its agent's queue, or None when it is not waiting for a named agent."""
    if conv.status != ConversationStatus.QUEUED or conv.assigned_agent_id is None:
        return None
    return queue_statuses(session, conv.assigned_agent_id, s).get(conv.id)
