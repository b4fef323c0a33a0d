"""A small, fully known history for the dashboard tests: exact numbers per day are in the tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from crm import Conversation, ConversationStatus, Handoff, Message, Sender
from tests import factories

DAY1, DAY2 = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 12, 10, tzinfo=UTC)
XSS = "<script>alert(1)</script>"


def at(day: datetime, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return day.replace(hour=hh, minute=mm, second=ss)


def chat(s: Session, started: datetime, **kw: Any) -> Conversation:
    conv = factories.conversation(s, created_at=started, updated_at=started, **kw)
    return conv


def msg(s: Session, conv: Conversation, sender: str, text: str, when: datetime, **kw: Any) -> Message:
    m = Message(conversation_id=conv.id, sender=sender, text=text, created_at=when, **kw)
    s.add(m)
    s.flush()
    return m


def handoff(s: Session, conv: Conversation, trigger: str, when: datetime, accepted: datetime | None = None,
            agent_id: int | None = None) -> Handoff:
    h = Handoff(conversation_id=conv.id, trigger=trigger, reason=trigger, created_at=when, accepted_at=accepted,
                agent_id=agent_id)
    s.add(h)
    s.flush()
    return h


def seed(s: Session, *, staff: bool = True) -> dict[str, Any]:
    """Two days of chats (2026-03-01 and 02) and one before them that no figure may count.

    staff=False (a running product shared with other tests): no agents are created or named, and
    the chat waiting for a person is left resolved, so that no other test's queue or routing moves.
    """
    from types import SimpleNamespace

    from crm import store

    if staff:
        maria: Any = store.agent_by_username(s, "maria") or factories.agent(s, "maria", display_name="Maria Lopez")
        if store.agent_by_username(s, "tom") is None:
            factories.agent(s, "tom", display_name="Tom Reed", status="offline")
    else:
        maria = SimpleNamespace(id=None)
    C, B, A = Sender.CUSTOMER, Sender.BOT, Sender.AGENT  # noqa: N806

    c1 = chat(s, at(DAY1, 8), rating=5, status=ConversationStatus.RESOLVED)
    msg(s, c1, C, "how do I read my bill", at(DAY1, 8, 1), intent="billing_question", sentiment=0.5)
    msg(s, c1, B, "Your bill explained", at(DAY1, 8, 1, 5), meta={"kind": "kb_answer", "feedback": True,
                                                                   "helpful": True})

    c2 = chat(s, at(DAY1, 9, 58), rating=2, status=ConversationStatus.RESOLVED)
    msg(s, c2, C, "Where is my refund?", at(DAY1, 9, 59), intent="nlu_fallback", sentiment=-0.6)
    msg(s, c2, B, "Sorry, I didn't get that", at(DAY1, 9, 59, 30), meta={"kind": "fallback"})
    handoff(s, c2, "asked_for_human", at(DAY1, 10), at(DAY1, 10, 2), maria.id)
    msg(s, c2, A, "Hi, Maria here", at(DAY1, 10, 3), agent_id=maria.id)

    chat(s, at(DAY1, 11))  # opened the widget, never wrote: not in containment

    c4 = chat(s, at(DAY2, 8, 58), status=ConversationStatus.OPEN)
    msg(s, c4, C, "Where is my refund? ", at(DAY2, 8, 59), intent="nlu_fallback", sentiment=-0.8)
    msg(s, c4, B, "No answer for that", at(DAY2, 8, 59, 10), meta={"kind": "no_answer"})
    msg(s, c4, B, "Refund times", at(DAY2, 8, 59, 20), meta={"kind": "kb_answer", "feedback": True, "helpful": False})
    handoff(s, c4, "negative_sentiment", at(DAY2, 9), at(DAY2, 9, 5), maria.id)
    msg(s, c4, A, "Let me look", at(DAY2, 9, 1), agent_id=maria.id)
    handoff(s, c4, "transfer", at(DAY2, 9, 10), at(DAY2, 9, 11), maria.id)  # agents passing it on: not counted

    c5 = chat(s, at(DAY2, 11, 59), status=ConversationStatus.QUEUED if staff else ConversationStatus.RESOLVED,
              assigned_agent_id=maria.id)
    msg(s, c5, C, "talk to a person", at(DAY2, 11, 59, 30), intent="request_human", sentiment=0.0)
    handoff(s, c5, "asked_for_human", at(DAY2, 12), None, maria.id)

    c6 = chat(s, at(DAY2, 13), rating=4, status=ConversationStatus.RESOLVED)
    msg(s, c6, C, "what is on tv plus", at(DAY2, 13, 1), intent="billing_question", sentiment=0.4)
    msg(s, c6, B, "TV Plus line-up", at(DAY2, 13, 2), meta={"kind": "kb_answer", "feedback": True})

    c8 = chat(s, at(DAY2, 14, 58), status=ConversationStatus.OPEN)
    msg(s, c8, C, XSS, at(DAY2, 14, 59), intent="outage")
    msg(s, c8, B, "Which do you mean?", at(DAY2, 14, 59, 10), meta={"kind": "clarify"})
    handoff(s, c8, "low_confidence", at(DAY2, 15), at(DAY2, 15, 1), maria.id)
    msg(s, c8, A, "Hello", at(DAY2, 15, 2), agent_id=maria.id)

    before = datetime(2026, 2, 28, 20, tzinfo=UTC)
    c7 = chat(s, before, rating=1)
    msg(s, c7, C, "Where is my refund?", before, intent="nlu_fallback", sentiment=-0.9)
    msg(s, c7, B, "Sorry?", before, meta={"kind": "fallback"})
    handoff(s, c7, "asked_for_human", before, before.replace(hour=21), maria.id)
    msg(s, c7, A, "Hi", before.replace(hour=22), agent_id=maria.id)
    return {"maria": maria.id}
