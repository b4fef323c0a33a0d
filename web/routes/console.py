"""The agent console API: queue, my conversations, packet, reply, note, transfer, resolve, hand back.

An agent sees a conversation only when it is assigned to them, or waiting in the queue with no
agent; admins see all. Anything else answers 404, so ids cannot be probed.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.loop import InvalidMessage, clean_text, publish_messages
from bot.runtime import Runtime
from core.events import Event, events
from crm import Agent, Conversation, ConversationStatus, Handoff, Sender, store
from web.auth import StaffUser, current_user, require_agent
from web.csrf import csrf_protect, csrf_token
from web.errors import MAX_ID, errors
from web.origins import origin_allowed

router = APIRouter(prefix="/api/console", tags=["console"], responses=errors(401, 403, 404, 409),
                   dependencies=[Depends(csrf_protect)])

AGENT_STATUSES = ("online", "away", "offline")


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., max_length=4000)
    # Row ids: bounded like every id the API takes (a larger number is a 422, never a database error).
    suggestion_id: int | None = Field(None, ge=1, le=MAX_ID, description="the knowledge-base suggestion inserted")
    canned_id: int | None = Field(None, ge=1, le=MAX_ID, description="the canned reply inserted")


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to_agent: str | None = Field(None, max_length=64, description="username")
    to_team: str | None = Field(None, max_length=64)
    note: str = Field("", max_length=2000)


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str


def rt_of(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def visible(user: StaffUser, conv: Conversation, s: Session | None = None) -> bool:
    """May user see conv? Given a session, also (read-only) their team's chats and the ones they handled."""
    if user.is_admin or conv.assigned_agent_id == user.id:
        return True
    if conv.status == ConversationStatus.QUEUED and conv.assigned_agent_id is None:
        return True
    if s is None:
        return False
    from web.routes.inbox import readable

    return readable(s, user, conv)


def load_visible(s: Session, user: StaffUser, conversation_id: str) -> Conversation:
    conv = s.get(Conversation, conversation_id)
    if conv is None or not visible(user, conv, s):
        raise HTTPException(404, "conversation not found")
    return conv


def summary(s: Session, conv: Conversation) -> dict[str, Any]:
    from crm.labels import customer_label

    last = store.list_messages(s, conv.id)
    return {
        "id": conv.id,
        "status": conv.status,
        "customer": customer_label(conv.customer),
        "customer_id": conv.customer_id,
        "rating": conv.rating,
        "vip": conv.customer.vip,
        "reason": conv.handoff_reason or "",
        "agent": conv.assigned_agent.display_name if conv.assigned_agent else None,
        "agent_id": conv.assigned_agent_id,
        "updated_at": conv.updated_at.isoformat(),
        "last": last[-1].text[:140] if last else "",
        "channel": conv.channel,
        "priority": conv.priority,
    }


@router.get("/me")
def me(request: Request, user: Annotated[StaffUser, Depends(require_agent)]) -> dict[str, Any]:
    with rt_of(request).db.session() as s:
        a = s.get(Agent, user.id)
        assert a is not None
        return {"id": a.id, "username": a.username, "name": a.display_name, "team": a.team, "status": a.status,
                "role": a.role, "timezone": a.timezone or "UTC", "csrf_token": csrf_token(request.session)}


@router.put("/me/status")
def set_my_status(body: StatusIn, request: Request, user: Annotated[StaffUser, Depends(require_agent)]) -> dict:
    if body.status not in AGENT_STATUSES:
        raise HTTPException(422, f"status must be one of {', '.join(AGENT_STATUSES)}")
    change_status(rt_of(request), user.id, body.status)
    return {"status": body.status}


def change_status(rt: Runtime, agent_id: int, status: str) -> None:
    """Set an agent's presence; customers waiting for someone who left are re-routed (escalation subscriber)."""
    with rt.db.session() as s:
        a = s.get(Agent, agent_id)
        if a is None or a.status == status:
            return
        a.status = status
    rt.bus.emit(events.AGENT_STATUS_CHANGED, None, agent_id=agent_id, status=status)


@router.get("/conversations")
def conversations(request: Request, user: Annotated[StaffUser, Depends(require_agent)]) -> dict[str, Any]:
    """Return the queue (waiting for me or for anyone) and my open conversations."""
    with rt_of(request).db.session() as s:
        q = select(Conversation).where(Conversation.status.in_(ConversationStatus.HUMAN_OWNED))
        if not user.is_admin:
            q = q.where(or_(Conversation.assigned_agent_id == user.id, Conversation.assigned_agent_id.is_(None)))
        # Most urgent first (public posts by urgency and reach), then first come first served.
        rows = [summary(s, c) for c in s.scalars(q.order_by(Conversation.priority.desc(), Conversation.updated_at))]
    return {
        "queue": [r for r in rows if r["status"] == ConversationStatus.QUEUED],
        "mine": [r for r in rows if r["status"] == ConversationStatus.OPEN and r["agent_id"] == user.id],
        "others": [r for r in rows if r["status"] == ConversationStatus.OPEN and r["agent_id"] != user.id],
    }


@router.get("/conversations/{conversation_id}")
def conversation(conversation_id: str, request: Request, user: Annotated[StaffUser, Depends(require_agent)]) -> dict:
    """Return the transcript (with internal notes) and the newest handoff packet."""
    with rt_of(request).db.session() as s:
        conv = load_visible(s, user, conversation_id)
        handoff = s.scalar(select(Handoff).where(Handoff.conversation_id == conv.id).order_by(Handoff.id.desc()))
        from crm.reads import mark_read

        mark_read(s, user.id, conv.id)
        messages = store.list_messages(s, conv.id, include_notes=True)
        return {
            **summary(s, conv),
            "messages": [store.message_dict(m) for m in messages],
            "packet": handoff.packet if handoff else None,
            "trigger": handoff.trigger if handoff else None,
            # What the customer wrote after the handoff, while nobody was with them yet (issue 14).
            "written_while_waiting": [store.message_dict(m) for m in messages if handoff is not None
                                      and m.sender == Sender.CUSTOMER and m.created_at >= handoff.created_at
                                      and (handoff.accepted_at is None or m.created_at <= handoff.accepted_at)],
            "customer_page": customer_page(request, conv.customer_id),
        }


def customer_page(request: Request, customer_id: str) -> str | None:
    """The customer page's address when that page is part of this app (issue 10's /console/customers/{id})."""
    for route in request.app.routes:
        if getattr(route, "path", None) == "/console/customers/{customer_id}":
            return f"/console/customers/{customer_id}"
    return None


def _act(request: Request, user: StaffUser, conversation_id: str, fn_name: str, *args: Any) -> Any:
    import escalation

    rt = rt_of(request)
    with rt.db.session() as s:
        load_visible(s, user, conversation_id)
        return getattr(escalation, fn_name)(s, conversation_id, *args, rt.bus)


@router.post("/conversations/{conversation_id}/accept")
def accept(conversation_id: str, request: Request, user: Annotated[StaffUser, Depends(require_agent)]) -> dict:
    with rt_of(request).db.session() as s:
        conv = s.get(Conversation, conversation_id)
        if conv is not None and not visible(user, conv) and _lost_race(s, conv, user):
            winner = conv.assigned_agent.display_name if conv.assigned_agent else "Someone else"
            raise HTTPException(409, f"{winner} accepted this conversation first")
    if not _act(request, user, conversation_id, "accept", user.id):
        raise HTTPException(409, "someone else accepted this conversation first")
    return {"accepted": True}


def _lost_race(s: Session, conv: Conversation, user: StaffUser) -> bool:
    """True when another agent has accepted this conversation: the loser of a double accept is told so.

    (It reveals only that a colleague holds the chat, never its contents.)
    """
    last = s.scalar(select(Handoff).where(Handoff.conversation_id == conv.id).order_by(Handoff.id.desc()))
    return (conv.status == ConversationStatus.OPEN and conv.assigned_agent_id not in (None, user.id)
            and last is not None and last.accepted_at is not None)


def _owned(request: Request, user: StaffUser, conversation_id: str) -> Conversation:
    with rt_of(request).db.session() as s:
        conv = load_visible(s, user, conversation_id)
        if conv.status != ConversationStatus.OPEN or conv.assigned_agent_id != user.id:
            raise HTTPException(409, "accept the conversation first")
        return conv


@router.post("/conversations/{conversation_id}/reply", status_code=201)
def reply(conversation_id: str, body: TextIn, request: Request,
          user: Annotated[StaffUser, Depends(require_agent)]) -> dict:
    return _write(conversation_id, body, request, user, Sender.AGENT)


@router.post("/conversations/{conversation_id}/note", status_code=201)
def note(conversation_id: str, body: TextIn, request: Request,
         user: Annotated[StaffUser, Depends(require_agent)]) -> dict:
    return _write(conversation_id, body, request, user, Sender.NOTE)


def _write(conversation_id: str, body: TextIn, request: Request, user: StaffUser, sender: str) -> dict:
    rt = rt_of(request)
    try:
        text = clean_text(body.text, 4000)
    except InvalidMessage as exc:
        raise HTTPException(422, {"code": exc.code, "message": exc.message}) from exc
    if sender == Sender.AGENT:
        _owned(request, user, conversation_id)
    with rt.db.session() as s:
        conv = load_visible(s, user, conversation_id)
        msg, _ = store.add_message(s, conv, sender, text, agent_id=user.id, meta={"agent_name": user.display_name})
        if sender == Sender.AGENT:  # what became of the suggestions shown (the knowledge base learns from it)
            from bot.agent_assist import record_reply

            record_reply(s, conv.id, user.id, text, body.suggestion_id, body.canned_id)
    publish_messages(rt.bus, [msg])
    return store.message_dict(msg)


@router.post("/conversations/{conversation_id}/typing", status_code=204)
def typing(conversation_id: str, request: Request, user: Annotated[StaffUser, Depends(require_agent)]) -> None:
    """Tell the customer this agent is typing (throttled)."""
    _owned(request, user, conversation_id)
    typing_signals(request).started(conversation_id, sender="agent", name=user.display_name, agent_id=user.id)


def typing_signals(request: Request) -> Any:
    from web.typing import TypingSignals

    app = request.app
    if getattr(app.state, "typing", None) is None:
        app.state.typing = TypingSignals(rt_of(request).bus)
    return app.state.typing


@router.post("/conversations/{conversation_id}/transfer")
def transfer(conversation_id: str, body: TransferIn, request: Request,
             user: Annotated[StaffUser, Depends(require_agent)]) -> dict:
    if not body.to_agent and not body.to_team:
        raise HTTPException(422, "name an agent or a team")
    to_agent_id = None
    if body.to_agent:
        with rt_of(request).db.session() as s:
            target = store.agent_by_username(s, body.to_agent)
            if target is None:
                raise HTTPException(404, f"no agent {body.to_agent!r}")
            to_agent_id = target.id
    _owned(request, user, conversation_id)
    if not _act(request, user, conversation_id, "transfer", user.id, to_agent_id, body.to_team, body.note):
        who = f"agent {body.to_agent!r}" if body.to_agent else f"the {body.to_team} team"
        raise HTTPException(409, f"{who} cannot take this conversation now (away, offline or outside hours)")
    return {"transferred": True}


@router.post("/conversations/{conversation_id}/resolve")
def resolve(conversation_id: str, request: Request, user: Annotated[StaffUser, Depends(require_agent)]) -> dict:
    _owned(request, user, conversation_id)
    _act(request, user, conversation_id, "resolve", user.id)
    return {"status": ConversationStatus.RESOLVED}


@router.post("/conversations/{conversation_id}/hand-back")
def hand_back(conversation_id: str, request: Request, user: Annotated[StaffUser, Depends(require_agent)]) -> dict:
    _owned(request, user, conversation_id)
    _act(request, user, conversation_id, "hand_back", user.id)
    return {"status": ConversationStatus.PENDING}


CONSOLE_EVENTS = {
    events.CONVERSATION_QUEUED, events.CONVERSATION_HANDED_OFF, events.CONVERSATION_ACCEPTED,
    events.CONVERSATION_TRANSFERRED, events.CONVERSATION_HANDED_BACK, events.CONVERSATION_RESOLVED,
    events.CONVERSATION_UPDATED, events.MESSAGE_CREATED, events.CASE_OPENED, events.TYPING_STARTED,
    events.SURGE_STARTED, events.SURGE_UPDATED, events.SURGE_ENDED, events.NOTICE_CHANGED, events.DELIVERY_UPDATED,
    events.CASE_REMINDER_DUE, events.CASE_OVERDUE, events.FOLLOWUP_ATTEMPTED,  # issue 10: follow-ups
}


@router.websocket("/ws")
async def console_stream(websocket: WebSocket) -> None:
    """Push queue and conversation events this agent may see; the page re-reads on each."""
    if not origin_allowed(websocket, customer=False):
        await websocket.close(code=4403)  # another site's page riding on an agent's cookie
        return
    user = current_user(websocket)  # type: ignore[arg-type]
    if user is None:
        await websocket.close(code=4401)
        return
    rt: Runtime = websocket.app.state.runtime
    await websocket.accept()

    def wanted(e: Event) -> bool:
        if e.name not in CONSOLE_EVENTS:
            return False
        if e.name == events.TYPING_STARTED and e.data.get("sender") != "customer":
            return False
        if user.is_admin or e.name == events.CASE_OPENED:
            return True
        agent_id = e.data.get("agent_id")
        if e.name == events.TYPING_STARTED:  # the customer typing, to whoever may see the chat
            return (e.data.get("sender") == "customer" and e.conversation_id is not None
                    and _mine_or_queued(rt, user, e.conversation_id))
        if e.name == events.MESSAGE_CREATED:
            return e.conversation_id is not None and _mine_or_queued(rt, user, e.conversation_id)
        return agent_id in (None, user.id) or e.data.get("from_agent_id") == user.id

    async def pump() -> None:
        async for event in rt.bus.stream(wanted):
            await websocket.send_json(event.as_json())

    task = asyncio.create_task(pump())
    try:
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        task.cancel()


def _mine_or_queued(rt: Runtime, user: StaffUser, conversation_id: str) -> bool:
    with rt.db.session() as s:
        conv = s.get(Conversation, conversation_id)
        return conv is not None and visible(user, conv, s)
