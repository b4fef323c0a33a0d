"""Canned replies (issue 14): personal and team answers with placeholders such as {first_name}."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from crm.models import Agent
from crm.workspace import CannedReply

__all__ = ["PLACEHOLDERS", "CannedError", "fill", "for_agent", "may_edit", "save"]

PLACEHOLDERS = ("first_name", "name", "agent_name", "agent_first_name", "case_number")
_SLOT = re.compile(r"\{(\w+)\}")
SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class CannedError(ValueError):
    """A canned reply that cannot be saved, with the reason."""


def fill(body: str, values: Mapping[str, str]) -> str:
    """Replace the known placeholders; one we lack a value for becomes '' (never '{first_name}' to a customer)."""
    def slot(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in PLACEHOLDERS:
            return m.group(0)
        return values.get(key) or ""

    text = _SLOT.sub(slot, body)
    return re.sub(r" +([,.!?])", r"\1", re.sub(r"  +", " ", text)).strip()


def for_agent(session: Session, agent: Agent) -> Sequence[CannedReply]:
    """The agent's own replies and their team's, by shortcut."""
    clauses = [CannedReply.owner_id == agent.id]
    if agent.team:
        clauses.append((CannedReply.owner_id.is_(None)) & (CannedReply.team == agent.team))
    if agent.role == "admin":
        clauses.append(CannedReply.owner_id.is_(None))
    return session.scalars(select(CannedReply).where(or_(*clauses)).order_by(CannedReply.shortcut)).all()


def may_edit(agent: Agent, reply: CannedReply) -> bool:
    """Agents edit their own replies; admins also edit team replies."""
    return reply.owner_id == agent.id or (reply.owner_id is None and agent.role == "admin")


def save(session: Session, agent: Agent, shortcut: str, body: str, team: str | None = None,
         reply: CannedReply | None = None) -> CannedReply:
    """Create (or update) a canned reply; team replies are for admins only."""
    shortcut = shortcut.strip().lower().lstrip("/")
    body = body.strip()
    if not SHORTCUT.match(shortcut):
        raise CannedError("shortcut: 1-40 lowercase letters, digits, - or _")
    if not body or len(body) > 4000:
        raise CannedError("text: 1-4000 characters")
    if team is not None and agent.role != "admin":
        raise CannedError("only admins write team replies")
    if reply is None:
        reply = CannedReply(owner_id=None if team else agent.id, team=team or None, shortcut=shortcut, body=body)
        session.add(reply)
    else:
        reply.shortcut, reply.body = shortcut, body
        if reply.owner_id is None and team:
            reply.team = team
    session.flush()
    return reply
