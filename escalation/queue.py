"""Where a waiting customer stands: position in the named agent's queue and the expected wait."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm import Agent, Conversation, ConversationStatus, Handoff
from escalation.settings import EscalationSettings


@dataclass(frozen=True)
class QueueStatus:
    agent_id: int
    position: int  # 1 = next to be picked up
    expected_wait_seconds: int

    def as_dict(self) -> dict[str, int]:
        return {"queue_position": self.position, "expected_wait_seconds": self.expected_wait_seconds}


def expected_wait(agent: Agent, position: int, open_count: int, s: EscalationSettings) -> int:
    """Seconds until a chat at position is picked up: free seats go first, each later chat waits a turn."""
    free = max(0, agent.capacity - open_count)
    return 0 if position <= free else (position - free) * s.seconds_per_queued_chat


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
    return {
        cid: QueueStatus(agent_id, i, expected_wait(agent, i, busy, s))
        for i, cid in enumerate(queued_for(session, agent_id), start=1)
    }


def queue_status(session: Session, conv: Conversation, s: EscalationSettings | None = None) -> QueueStatus | None:
    """Return where conv stands in its agent's queue, or None when it is not waiting for a named agent."""
    if conv.status != ConversationStatus.QUEUED or conv.assigned_agent_id is None:
        return None
    return queue_statuses(session, conv.assigned_agent_id, s).get(conv.id)
