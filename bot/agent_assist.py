"""Suggested replies for agents from the knowledge base, and what became of each (issue 14).

Every suggestion shown is recorded; when the agent sends a reply, the one they inserted is marked
used (with what they actually sent, edited or not) and the others ignored, so the knowledge base
can learn what agents send.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from crm import AssistSuggestion, Message, Sender, store

__all__ = ["MIN_SCORE", "record_reply", "suggest"]

MIN_SCORE = 0.1  # below this calibrated probability a passage is noise, not a suggestion
PASSAGE_CHARS = 600


def _last_question(session: Session, conversation_id: str) -> Message | None:
    return session.scalar(select(Message).where(Message.conversation_id == conversation_id,
                                                Message.sender == Sender.CUSTOMER)
                          .order_by(Message.id.desc()).limit(1))


def suggest(session: Session, kb: Any, conversation_id: str, agent_id: int, k: int = 3) -> list[dict[str, Any]]:
    """Return up to k passages answering the customer's last message, each recorded as shown once."""
    question = _last_question(session, conversation_id)
    if question is None or kb is None:
        return []
    conv = store.get_conversation(session, conversation_id)
    hits = [h for h in kb.search(question.text, segment=conv.customer.segment, k=k * 3) if h.score >= MIN_SCORE]
    seen_articles: set[str] = set()
    out = []
    for h in hits:
        if h.article_id in seen_articles:
            continue
        seen_articles.add(h.article_id)
        row = session.scalar(select(AssistSuggestion).where(
            AssistSuggestion.conversation_id == conversation_id, AssistSuggestion.message_id == question.id,
            AssistSuggestion.article_id == h.article_id, AssistSuggestion.source == "kb"))
        text = h.text.strip()[:PASSAGE_CHARS]
        if row is None:
            row = AssistSuggestion(conversation_id=conversation_id, agent_id=agent_id, message_id=question.id,
                                   source="kb", article_id=h.article_id, text=text, score=float(h.score))
            session.add(row)
            session.flush()
        out.append({"id": row.id, "article_id": h.article_id, "title": h.title, "url": h.url,
                    "heading": h.heading, "passage": text, "score": round(float(h.score), 3),
                    "question": question.text})
        if len(out) == k:
            break
    return out


def record_reply(session: Session, conversation_id: str, agent_id: int, sent_text: str,
                 suggestion_id: int | None = None, canned_id: int | None = None) -> None:
    """Mark the inserted suggestion used (with the text sent) and the other open ones ignored."""
    now = utcnow()
    if canned_id is not None:
        session.add(AssistSuggestion(conversation_id=conversation_id, agent_id=agent_id, source="canned",
                                     canned_id=canned_id, text="", outcome="used", sent_text=sent_text,
                                     decided_at=now))
    for row in session.scalars(select(AssistSuggestion).where(AssistSuggestion.conversation_id == conversation_id,
                                                              AssistSuggestion.outcome == "shown")):
        if row.id == suggestion_id:
            row.outcome, row.sent_text = "used", sent_text
        else:
            row.outcome = "ignored"
        row.decided_at, row.agent_id = now, agent_id
