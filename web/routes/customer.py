"""The customer channel: start a conversation, send messages, read it, stream it live."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, WebSocket, WebSocketDisconnect, status
from pydantic import BaseModel, ConfigDict, Field

from bot.loop import InvalidMessage, publish_messages
from bot.runtime import Runtime
from core.events import events
from crm import Agent, ConversationStatus, Sender, store
from web.customer_events import customer_event
from web.errors import MAX_ID, errors
from web.metrics import observe_turn
from web.origins import origin_allowed
from web.ratelimit import check_message, limit_start
from web.security import conversation_from_token, conversation_token, identity_ok, visitor_from_token, visitor_token

router = APIRouter(prefix="/api/conversations", tags=["customer"])


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    external_id: str | None = Field(None, min_length=1, max_length=128)
    identity_hash: str | None = Field(None, max_length=128, description="HMAC from the company's site")
    name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320)


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer: CustomerIn | None = None
    visitor_token: str | None = Field(None, max_length=256, description="From an earlier start: the same visitor")


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., description="The customer's message (limit: FIRSTLINE_MAX_MESSAGE_CHARS, 2000)")
    client_id: str | None = Field(None, max_length=64, description="Retry key: a re-sent message is stored once")


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message_id: int = Field(..., ge=1, le=MAX_ID)
    helpful: bool


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rating: int = Field(..., ge=1, le=5)


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def conversation_id_for(
    conversation_id: str, request: Request, x_conversation_token: Annotated[str | None, Header()] = None
) -> str:
    """Check the widget's token for this conversation; 404 for anything else, so ids can't be probed."""
    secret = runtime(request).settings.secret_key
    if not x_conversation_token or conversation_from_token(secret, x_conversation_token) != conversation_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "conversation not found")
    return conversation_id


def limited_conversation(
    request: Request, conversation_id: Annotated[str, Depends(conversation_id_for)]
) -> str:
    """The token-checked conversation, counted against the message budgets (429 when over)."""
    check_message(request, conversation_id)
    return conversation_id


def owner_view(s: Any, conv: Any) -> dict[str, Any]:
    if conv.status == ConversationStatus.OPEN and conv.assigned_agent_id:
        agent = s.get(Agent, conv.assigned_agent_id)
        return {"kind": "human", "name": agent.display_name if agent else None, "team": agent.team if agent else None}
    if conv.status == ConversationStatus.QUEUED:
        from core.db import utcnow
        from escalation import queue_status
        from escalation.waiting import waiting_for

        agent = s.get(Agent, conv.assigned_agent_id) if conv.assigned_agent_id else None
        place = queue_status(s, conv)
        waiting = waiting_for(s, conv, utcnow())  # the header says what the acknowledgements say (issue 14)
        return {"kind": "queue", "name": agent.display_name if agent else None, "team": agent.team if agent else None,
                **(place.as_dict() if place else {}), **(waiting.as_dict() if waiting else {})}
    if conv.status == ConversationStatus.RESOLVED:
        return {"kind": "nobody", "name": None, "team": None}
    return {"kind": "bot", "name": "Tidewater assistant", "team": None}


def conversation_view(rt: Runtime, conversation_id: str, after: int = 0) -> dict[str, Any]:
    with rt.db.session() as s:
        conv = store.get_conversation(s, conversation_id)
        msgs = store.list_messages(s, conversation_id, after_id=after)
        return {
            "id": conv.id,
            "status": conv.status,
            "owner": owner_view(s, conv),
            "messages": [store.message_dict(m) for m in msgs],
        }


@router.post("", status_code=201, summary="Start a conversation (anonymous, or as a verified customer)",
             responses=errors(403), dependencies=[Depends(limit_start)])
def start(body: StartIn, request: Request) -> dict[str, Any]:
    rt = runtime(request)
    c = body.customer
    with rt.db.session() as s:
        customer = None
        if c and c.external_id:
            if not identity_ok(rt.settings.secret_key, c.external_id, c.identity_hash):
                raise HTTPException(status.HTTP_403_FORBIDDEN, "customer identity could not be verified")
            customer = store.find_customer(s, "external_id", c.external_id)
            if customer is None:
                customer = store.get_or_create_customer(s, c.external_id, name=c.name, email=c.email)
        if customer is None and body.visitor_token:
            customer = returning_visitor(s, rt.settings.secret_key, body.visitor_token)
        if customer is None:
            customer = store.get_or_create_customer(s, None, name=c.name if c else None)
        conv = store.start_conversation(s, customer)
        cid, name, customer_id_of_new = conv.id, customer.name, customer.id
        anonymous = customer.external_id is None and not (c and c.external_id)
    rt.bus.emit(events.CONVERSATION_STARTED, cid)
    out: dict[str, Any] = {
        "conversation_id": cid,
        "token": conversation_token(rt.settings.secret_key, cid),
        "customer": {"name": name},
        "status": ConversationStatus.PENDING,
    }
    if body.visitor_token and not (c and c.external_id):
        out["visitor_token"] = body.visitor_token  # accepted above: the widget keeps it
    elif anonymous:  # the widget keeps it, so the next visit is the same visitor
        out["visitor_token"] = visitor_token(rt.settings.secret_key, customer_id_of_new)
    return out


def returning_visitor(s: Any, secret: str, token: str) -> Any:
    """The customer a visitor token names (following a verified merge); 403 for a forged or unknown token."""
    from crm.identity import resolve_visitor

    customer_id = visitor_from_token(secret, token)
    customer = resolve_visitor(s, customer_id) if customer_id else None
    if customer is None or (customer.id == customer_id and customer.external_id is not None):
        # A signed-in customer is recognised only with the company's identity_hash; a visitor token names a
        # visitor, or the customer that visitor proved to be (a code or answer, on this browser).
        raise HTTPException(status.HTTP_403_FORBIDDEN, "visitor token could not be verified")
    return customer


@router.get("/{conversation_id}", summary="Read a conversation: state, owner and messages", responses=errors(404))
def read(
    request: Request,
    conversation_id: Annotated[str, Depends(conversation_id_for)],
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> dict[str, Any]:
    return conversation_view(runtime(request), conversation_id, after)


@router.post("/{conversation_id}/messages", status_code=201, summary="Send a customer message",
             responses=errors(404))
def post_message(
    body: MessageIn, request: Request, conversation_id: Annotated[str, Depends(limited_conversation)]
) -> dict[str, Any]:
    rt = runtime(request)
    loop = request.app.state.loop
    started = time.perf_counter()
    try:
        result = loop.handle(conversation_id, body.text, client_id=body.client_id)
    except InvalidMessage as exc:
        code = 413 if exc.code == "too_long" else 422
        raise HTTPException(code, {"code": exc.code, "message": exc.message}) from exc
    observe_turn(result, time.perf_counter() - started)
    view = conversation_view(rt, conversation_id, after=result.messages[0].id - 1 if result.messages else 0)
    return {
        "status": view["status"],
        "owner": view["owner"],
        "duplicate": result.duplicate,
        "messages": view["messages"],
    }


@router.post("/{conversation_id}/feedback", summary='Answer "Did this help?" for a bot answer',
             responses=errors(404))
def feedback(
    body: FeedbackIn, request: Request, conversation_id: Annotated[str, Depends(conversation_id_for)]
) -> dict[str, Any]:
    rt = runtime(request)
    feedback_handler = request.app.state.feedback
    try:
        return feedback_handler(rt, conversation_id, body.message_id, body.helpful)  # type: ignore[no-any-return]
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc


@router.post("/{conversation_id}/rating", summary="Rate a resolved conversation 1-5", responses=errors(404, 409))
def rating(body: RatingIn, request: Request, conversation_id: Annotated[str, Depends(conversation_id_for)]) -> dict:
    rt = runtime(request)
    with rt.db.session() as s:
        conv = store.get_conversation(s, conversation_id)
        asked = [m.meta.get("kind") for m in store.list_messages(s, conversation_id)
                 if m.sender == Sender.SYSTEM and m.meta.get("kind") in ("rating_request", "rating_thanks")]
        if conv.status != ConversationStatus.RESOLVED or not asked or asked[-1] != "rating_request":
            raise HTTPException(status.HTTP_409_CONFLICT, "there is no resolved conversation waiting for a rating")
        conv.rating = body.rating
        msg, _ = store.add_message(s, conv, Sender.SYSTEM, f"Thank you for rating us {body.rating}/5.",
                                   meta={"kind": "rating_thanks"})
        agent_id = conv.assigned_agent_id
    publish_messages(rt.bus, [msg])
    rt.bus.emit(events.CONVERSATION_RATED, conversation_id, rating=body.rating, agent_id=agent_id)
    return {"rating": body.rating}


@router.post("/{conversation_id}/typing", status_code=204, summary="Tell the agent the customer is typing")
def typing(request: Request, conversation_id: Annotated[str, Depends(conversation_id_for)]) -> None:
    """Throttled server-side (one signal per 2 s); only a person, never the bot, is told."""
    from web.routes.console import typing_signals

    rt = runtime(request)
    with rt.db.session() as s:
        conv = store.get_conversation(s, conversation_id)
        if conv.status not in ConversationStatus.HUMAN_OWNED:
            return
        from crm.labels import customer_label

        name = customer_label(conv.customer)
    typing_signals(request).started(conversation_id, sender="customer", name=name)


@router.websocket("/{conversation_id}/ws")
async def stream(websocket: WebSocket, conversation_id: str, token: str = "") -> None:
    """Push this conversation's events; the widget re-reads from its last id after a reconnect."""
    rt: Runtime = websocket.app.state.runtime
    if not origin_allowed(websocket, customer=True):
        await websocket.close(code=4403)  # a page we do not know: refused before anything is sent
        return
    if conversation_from_token(rt.settings.secret_key, token) != conversation_id:
        await websocket.close(code=4404)
        return
    await websocket.accept()
    customer_visible = {
        events.MESSAGE_CREATED,
        events.TYPING_STARTED,
        events.CONVERSATION_QUEUED,
        events.CONVERSATION_HANDED_OFF,
        events.CONVERSATION_ACCEPTED,
        events.CONVERSATION_TRANSFERRED,
        events.CONVERSATION_HANDED_BACK,
        events.CONVERSATION_RESOLVED,
        events.CONVERSATION_UPDATED,
    }

    def wanted(e: Any) -> bool:
        if e.conversation_id != conversation_id or e.name not in customer_visible:
            return False
        if e.name == events.TYPING_STARTED:  # the customer's own typing is not echoed back
            return bool(e.data.get("sender") != "customer")
        return not (e.name == events.MESSAGE_CREATED and e.data.get("sender") == Sender.NOTE)

    async def pump() -> None:
        async for event in rt.bus.stream(wanted):
            await websocket.send_json(customer_event(event))

    task = asyncio.create_task(pump())
    try:
        while True:  # the widget sends pings; anything else is ignored
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        task.cancel()
