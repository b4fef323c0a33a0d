"""Find the customer questions the bot failed on and group them by meaning."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.embedding import Embedder
from core.redaction import redact
from crm import Handoff, Message, Sender

KEY_IDS = 50
NO_ANSWER_KINDS = {"no_answer": "no answer", "fallback": "not understood", "clarify": "unclear"}
# The NLU's label for a message outside what the bot covers. Rasa answers it with action_out_of_scope:
# a knowledge-base answer (kind kb_answer) when there is a confident one, else the domain's plain
# "not something I can help with" (no kind): a question nobody answered, which admins must see too.
OUT_OF_SCOPE_INTENT = "out_of_scope"


@dataclass(frozen=True)
class FailedQuestion:
    message_id: int
    conversation_id: str
    text: str
    # "no answer" | "not understood" | "unclear" | "out of scope" | "low confidence" | "didn't help" | "handoff"
    reason: str
    at: datetime


@dataclass
class Cluster:
    label: str
    count: int
    reasons: dict[str, int]
    examples: list[str]
    message_ids: list[int] = field(default_factory=list)  # most typical first

    @property
    def key(self) -> str:
        """Return a stable name for the cluster, for forms that act on it: its most typical message ids.

        A list position would change whenever a new failure arrives between showing and posting.
        """
        return ",".join(str(i) for i in self.message_ids[:KEY_IDS])


def failed_questions(
    session: Session, *, since: datetime | None = None, low_confidence: float = 0.5, limit: int = 5000
) -> list[FailedQuestion]:
    """Return recent customer messages whose answer failed, each once with its most telling reason.

    Reads the newest limit*4 customer and bot messages (the report is about what fails now).
    """
    q = select(Message).where(Message.sender.in_([Sender.CUSTOMER, Sender.BOT]))
    if since is not None:
        q = q.where(Message.created_at >= since)
    newest = session.scalars(q.order_by(Message.id.desc()).limit(limit * 4)).all()
    rows = sorted(newest, key=lambda m: (m.conversation_id, m.id))
    found: dict[int, FailedQuestion] = {}
    last_customer: dict[str, Message] = {}
    asked: dict[str, list[Message]] = {}  # conversation -> its customer messages, oldest first
    for m in rows:
        if m.sender == Sender.CUSTOMER:
            last_customer[m.conversation_id] = m
            asked.setdefault(m.conversation_id, []).append(m)
            continue
        question = last_customer.get(m.conversation_id)
        if question is None:
            continue
        kind = (m.meta or {}).get("kind")
        reason = None
        if kind in NO_ANSWER_KINDS:
            reason = NO_ANSWER_KINDS[kind]
        elif kind is None and question.intent == OUT_OF_SCOPE_INTENT:
            reason = "out of scope"  # declined in plain words; a knowledge-base answer would carry its kind
        elif kind == "kb_answer":
            if (m.meta or {}).get("helpful") is False:
                reason = "didn't help"
            elif float((m.meta or {}).get("score") or 1.0) < low_confidence:
                reason = "low confidence"
        if reason and question.id not in found:
            found[question.id] = FailedQuestion(
                question.id, question.conversation_id, question.text, reason, question.created_at
            )
    for cid, at in _handoffs(session, list(asked)):  # the question that ended with a person
        msgs = asked[cid]
        n = bisect.bisect_right([m.created_at for m in msgs], at)
        if n and msgs[n - 1].id not in found:
            m = msgs[n - 1]
            found[m.id] = FailedQuestion(m.id, cid, m.text, "handoff", m.created_at)
    return sorted(found.values(), key=lambda f: f.message_id)[-limit:]


def _handoffs(session: Session, conversation_ids: list[str], chunk: int = 500) -> list[tuple[str, datetime]]:
    """Return (conversation, time) of the handoffs in these conversations only."""
    out: list[tuple[str, datetime]] = []
    for i in range(0, len(conversation_ids), chunk):
        part = conversation_ids[i : i + chunk]
        out += [(cid, at) for cid, at in session.execute(
            select(Handoff.conversation_id, Handoff.created_at).where(Handoff.conversation_id.in_(part)))]
    return out


def questions_by_id(session: Session, message_ids: Sequence[int]) -> list[str]:
    """Return the distinct texts of these customer messages, in the order given (a cluster's examples).

    Masked (core.redaction): what becomes a draft article or NLU example carries no personal data.
    """
    ids = list(dict.fromkeys(int(i) for i in message_ids))
    rows = {m.id: redact(m.text) for m in session.scalars(
        select(Message).where(Message.id.in_(ids), Message.sender == Sender.CUSTOMER))}
    return list(dict.fromkeys(rows[i] for i in ids if i in rows))


def cluster_questions(
    questions: Sequence[FailedQuestion], embedder: Embedder, *, threshold: float = 0.55, max_examples: int = 5
) -> list[Cluster]:
    """Group questions by meaning (greedy centroid clustering on cosine), largest first.

    Texts are masked before they are embedded or shown: the report names no card, email or phone.
    """
    if not questions:
        return []
    masked = [redact(q.text) for q in questions]
    vecs = embedder.encode(masked)
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
            if masked[i] not in texts:
                texts.append(masked[i])
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
