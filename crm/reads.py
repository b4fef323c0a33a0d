"""How far each agent has read each conversation, for the inbox's unread counts (issue 14)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.models import Message, Sender
from crm.workspace import ConversationRead

__all__ = ["mark_read", "unread_counts"]


def mark_read(session: Session, agent_id: int, conversation_id: str) -> None:
    """Record that agent_id has seen everything in the conversation so far."""
    last = session.scalar(select(func.max(Message.id)).where(Message.conversation_id == conversation_id)) or 0
    row = session.scalar(select(ConversationRead).where(ConversationRead.agent_id == agent_id,
                                                        ConversationRead.conversation_id == conversation_id))
    if row is None:
        session.add(ConversationRead(agent_id=agent_id, conversation_id=conversation_id, last_message_id=last))
    elif last > row.last_message_id:
        row.last_message_id = last


def unread_counts(session: Session, agent_id: int, conversation_ids: Collection[str]) -> dict[str, int]:
    """Return {conversation id: customer messages the agent has not seen} (0 ones left out)."""
    if not conversation_ids:
        return {}
    marks: dict[str, int] = {str(cid): int(mid) for cid, mid in session.execute(
        select(ConversationRead.conversation_id, ConversationRead.last_message_id)
        .where(ConversationRead.agent_id == agent_id, ConversationRead.conversation_id.in_(conversation_ids)))}
    rows = session.execute(
        select(Message.conversation_id, Message.id)
        .where(Message.conversation_id.in_(conversation_ids), Message.sender == Sender.CUSTOMER))
    counts: dict[str, int] = {}
    for cid, mid in rows:
        if mid > marks.get(cid, 0):
            counts[cid] = counts.get(cid, 0) + 1
    return counts
