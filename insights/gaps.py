"""Find the customer questions the bot failed on and group them by meaning."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.embedding import Embedder
from crm import Handoff, Message, Sender

NO_ANSWER_KINDS = {"no_answer": "no answer", "fallback": "not understood", "clarify": "unclear"}


@dataclass(frozen=True)
class FailedQuestion:
    message_id: int
    conversation_id: str
    text: str
    reason: str  # "no answer" | "not understood" | "unclear" | "low confidence" | "didn't help" | "handoff"
    at: datetime


@dataclass
class Cluster:
    label: str
    count: int
    reasons: dict[str, int]
    examples: list[str]
    message_ids: list[int] = field(default_factory=list)


def failed_questions(
    session: Session, *, since: datetime | None = None, low_confidence: float = 0.5, limit: int = 5000
) -> list[FailedQuestion]:
    """Return customer messages whose answer failed, each once with its most telling reason."""
    q = select(Message).where(Message.sender.in_([Sender.CUSTOMER, Sender.BOT]))
    if since is not None:
        q = q.where(Message.created_at >= since)
    rows = session.scalars(q.order_by(Message.conversation_id, Message.id).limit(limit * 4)).all()
    handoff_at = {h.conversation_id: h.created_at for h in session.scalars(select(Handoff))}
    found: dict[int, FailedQuestion] = {}
    last_customer: dict[str, Message] = {}
    answered_by: dict[int, Message] = {}  # kb answer message id -> the customer question it answered
    for m in rows:
        if m.sender == Sender.CUSTOMER:
            last_customer[m.conversation_id] = m
            continue
        question = last_customer.get(m.conversation_id)
        if question is None:
            continue
        kind = (m.meta or {}).get("kind")
        reason = None
        if kind in NO_ANSWER_KINDS:
            reason = NO_ANSWER_KINDS[kind]
        elif kind == "kb_answer":
            answered_by[m.id] = question
            if (m.meta or {}).get("helpful") is False:
                reason = "didn't help"
            elif float((m.meta or {}).get("score") or 1.0) < low_confidence:
                reason = "low confidence"
        if reason and question.id not in found:
            found[question.id] = FailedQuestion(
                question.id, question.conversation_id, question.text, reason, question.created_at
            )
    for cid, at in handoff_at.items():  # the question that ended with a person
        candidates = [
            m for m in rows if m.conversation_id == cid and m.sender == Sender.CUSTOMER and m.created_at <= at
        ]
        if candidates and candidates[-1].id not in found:
            m = candidates[-1]
            found[m.id] = FailedQuestion(m.id, cid, m.text, "handoff", m.created_at)
    return sorted(found.values(), key=lambda f: f.message_id)[:limit]


def cluster_questions(
    questions: Sequence[FailedQuestion], embedder: Embedder, *, threshold: float = 0.55, max_examples: int = 5
) -> list[Cluster]:
    """Group questions by meaning (greedy centroid clustering on cosine), largest first."""
    if not questions:
        return []
    vecs = embedder.encode([q.text for q in questions])
    centroids: list[np.ndarray] = []
    members: list[list[int]] = []
    for i, v in enumerate(vecs):
        if centroids:
            sims = np.stack(centroids) @ v
            best = int(np.argmax(sims))
            if sims[best] >= threshold:
                members[best].append(i)
                c = vecs[members[best]].mean(axis=0)
                centroids[best] = c / (np.linalg.norm(c) or 1.0)
                continue
        centroids.append(v.copy())
        members.append([i])
    clusters = []
    for c, idx in zip(centroids, members, strict=True):
        order = sorted(idx, key=lambda i: -float(vecs[i] @ c))  # most typical first
        texts: list[str] = []
        for i in order:
            if questions[i].text not in texts:
                texts.append(questions[i].text)
        clusters.append(
            Cluster(
                label=texts[0],
                count=len(idx),
                reasons=dict(Counter(questions[i].reason for i in idx)),
                examples=texts[:max_examples],
                message_ids=[questions[i].message_id for i in order],
            )
        )
    return sorted(clusters, key=lambda c: (-c.count, c.label))


def nlu_yaml(intent: str, examples: Sequence[str]) -> str:
    """Return Rasa NLU YAML adding examples to an intent."""
    body = "".join(f"- {' '.join(e.split())}\n" for e in examples)
    return yaml.safe_dump(
        {"version": "3.1", "nlu": [{"intent": intent, "examples": body}]}, sort_keys=False, allow_unicode=True
    )
