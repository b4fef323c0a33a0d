"""The agents' inbox (issue 14): views sorted by urgency and wait, search of past chats, transfer targets."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from core.db import utcnow
from crm import Agent, Case, Conversation, ConversationStatus, Handoff, Message, Sender
from crm.labels import customer_label
from web.auth import StaffUser, require_agent
from web.errors import errors

router = APIRouter(prefix="/api/console", tags=["console"], responses=errors(401))
Staff = Annotated[StaffUser, Depends(require_agent)]
VIEWS = ("mine", "unassigned", "team", "all")


def _team_ids(s: Session, user: StaffUser) -> list[int]:
    me = s.get(Agent, user.id)
    if me is None or not me.team:
        return [user.id]
    return list(s.scalars(select(Agent.id).where(Agent.team == me.team)))


def readable_ids(s: Session, user: StaffUser) -> Select[tuple[str]]:
    """Conversations user may read: theirs, waiting for anyone, their team's, and any they or their team handled."""
    team = _team_ids(s, user)
    return select(Conversation.id).where(or_(
        Conversation.assigned_agent_id.in_(team),
        (Conversation.status == ConversationStatus.QUEUED) & Conversation.assigned_agent_id.is_(None),
        Conversation.id.in_(select(Handoff.conversation_id).where(Handoff.agent_id.in_(team))),
    ))


def readable(s: Session, user: StaffUser, conv: Conversation) -> bool:
    return bool(s.scalar(readable_ids(s, user).where(Conversation.id == conv.id)))


def _in_view(view: str, conv: Conversation, user: StaffUser, team: list[int]) -> bool:
    if view == "mine":
        return conv.assigned_agent_id == user.id
    if view == "unassigned":
        return conv.assigned_agent_id is None
    if view == "team":
        return conv.assigned_agent_id is None or conv.assigned_agent_id in team
    return user.is_admin


def inbox_items(s: Session, user: StaffUser, now: Any = None) -> list[dict[str, Any]]:
    """Every human-owned conversation user may see, as inbox entries, most urgent first."""
    from crm.reads import unread_counts
    from escalation.urgency import InboxItem, reason_tag, urgency, urgency_key

    now = now or utcnow()
    q = (select(Conversation).where(Conversation.status.in_(ConversationStatus.HUMAN_OWNED))
         .options(selectinload(Conversation.customer), selectinload(Conversation.assigned_agent)))
    if not user.is_admin:
        q = q.where(Conversation.id.in_(readable_ids(s, user)))
    convs = list(s.scalars(q))
    ids = [c.id for c in convs]
    # One query each for the latest message and the latest customer message of every conversation.
    newest = dict(s.execute(select(Message.conversation_id, func.max(Message.id))
                            .where(Message.conversation_id.in_(ids), Message.sender != Sender.NOTE)
                            .group_by(Message.conversation_id)).all()) if ids else {}
    newest_said = dict(s.execute(select(Message.conversation_id, func.max(Message.id))
                                 .where(Message.conversation_id.in_(ids), Message.sender == Sender.CUSTOMER)
                                 .group_by(Message.conversation_id)).all()) if ids else {}
    wanted = set(newest.values()) | set(newest_said.values())
    by_id = {m.id: m for m in s.scalars(select(Message).where(Message.id.in_(wanted)))} if wanted else {}
    unread = unread_counts(s, user.id, ids)
    handoffs: dict[str, Handoff] = {}
    for h in s.scalars(select(Handoff).where(Handoff.conversation_id.in_(ids)).order_by(Handoff.id)):
        handoffs[h.conversation_id] = h  # the latest wins
    cases = {c.conversation_id: c.number for c in s.scalars(
        select(Case).where(Case.conversation_id.in_(ids), Case.status == "open"))}
    rows = []
    for c in convs:
        h = handoffs.get(c.id)
        last = by_id.get(newest.get(c.id, -1))
        said = by_id.get(newest_said.get(c.id, -1))
        waiting = c.status == ConversationStatus.QUEUED
        if waiting:
            since = h.created_at if h else c.updated_at
        else:  # with a person: waiting only while the customer's message is the last word
            since = last.created_at if last is not None and last.sender == Sender.CUSTOMER else None
        waited = int((now - since).total_seconds()) if since else 0
        item = InboxItem(waiting, max(0, waited), unread.get(c.id, 0), c.customer.vip, h.trigger if h else None,
                         c.priority or 0)
        rows.append((urgency_key(item), {
            "id": c.id, "status": c.status, "customer": customer_label(c.customer), "vip": c.customer.vip,
            "channel": c.channel, "priority": c.priority or 0,
            "tag": reason_tag(item.trigger) if h else "", "trigger": item.trigger, "reason": c.handoff_reason or "",
            "waited_seconds": item.waited_seconds, "unread": item.unread, "urgency": urgency(item),
            "routed_to_me": waiting and c.assigned_agent_id == user.id,
            "agent": c.assigned_agent.display_name if c.assigned_agent else None, "agent_id": c.assigned_agent_id,
            "case_number": cases.get(c.id), "last": (said or last).text[:140] if (said or last) else "",
        }))
    rows.sort(key=lambda r: r[0])
    return [r for _, r in rows]


@router.get("/inbox")
def inbox(request: Request, user: Staff, view: Annotated[str, Query(max_length=16)] = "mine") -> dict[str, Any]:
    """The inbox in one view (mine, unassigned, my team; all for admins), with each view's count."""
    if view not in VIEWS or (view == "all" and not user.is_admin):
        raise HTTPException(422, f"view must be one of {', '.join(VIEWS if user.is_admin else VIEWS[:3])}")
    with request.app.state.runtime.db.session() as s:
        items = inbox_items(s, user)
        team = _team_ids(s, user)
        convs = {c.id: c for c in s.scalars(select(Conversation).where(Conversation.id.in_([i["id"] for i in items])))}
        per_view = {v: [i for i in items if _in_view(v, convs[i["id"]], user, team)]
                    for v in (VIEWS if user.is_admin else VIEWS[:3])}
    return {"view": view, "items": per_view[view], "counts": {v: len(rows) for v, rows in per_view.items()},
            "routed_to_me": [i["id"] for i in items if i["routed_to_me"]]}


@router.get("/tags")
def tags(user: Staff) -> list[dict[str, str]]:
    from escalation.urgency import TRIGGER_TAGS

    return [{"trigger": k, "tag": v} for k, v in TRIGGER_TAGS.items()]


@router.get("/search")
def search(request: Request, user: Staff, q: Annotated[str, Query(max_length=200)] = "",
           tag: Annotated[str, Query(max_length=64)] = "", status: Annotated[str, Query(max_length=16)] = "",
           since: date | None = None, until: date | None = None) -> dict[str, Any]:
    """Past and present conversations that went to a person, by customer, text, case number, tag and date."""
    from crm.search import SearchQuery, search_conversations
    from escalation.urgency import reason_tag

    if status and status not in ConversationStatus.ALL:
        raise HTTPException(422, "unknown status")
    if since and until and since > until:
        raise HTTPException(422, "'since' is after 'until'")
    query = SearchQuery(q, [tag] if tag else (), [status] if status else (), since, until)
    with request.app.state.runtime.db.session() as s:
        allowed = None if user.is_admin else readable_ids(s, user)
        out = []
        for c in search_conversations(s, query, allowed=allowed):
            h = s.scalar(select(Handoff).where(Handoff.conversation_id == c.id).order_by(Handoff.id.desc()))
            case = s.scalar(select(Case.number).where(Case.conversation_id == c.id).order_by(Case.id.desc()))
            out.append({"id": c.id, "customer": customer_label(c.customer), "status": c.status,
                        "started": c.created_at.isoformat(), "rating": c.rating, "case_number": case,
                        "tag": reason_tag(h.trigger) if h else "",
                        "agent": c.assigned_agent.display_name if c.assigned_agent else None})
    return {"results": out}


@router.get("/conversations/{conversation_id}/transfer-targets", responses=errors(404))
def transfer_targets(conversation_id: str, request: Request, user: Staff) -> dict[str, Any]:
    """Colleagues and teams who can take this conversation now (online, in hours), with their load."""
    from escalation.routing import available
    from escalation.service import _load
    from web.routes.console import load_visible

    with request.app.state.runtime.db.session() as s:
        load_visible(s, user, conversation_id)
        load, now = _load(s), utcnow()
        people = [a for a in s.scalars(select(Agent).order_by(Agent.display_name))
                  if a.id != user.id and a.active is not False and available(a, load, now, full_ok=True)]
        return {
            "agents": [{"username": a.username, "name": a.display_name, "team": a.team,
                        "load": load.get(a.id, 0), "capacity": a.capacity} for a in people],
            "teams": sorted({a.team for a in people if a.team}),
        }
