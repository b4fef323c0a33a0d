"""Promises from the console, the owner's follow-up alerts, and what a returning customer sees first."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from core.db import utcnow
from crm import Agent, FollowUpAttempt, store
from web.auth import StaffUser, require_agent
from web.csrf import csrf_protect
from web.errors import MAX_ID, errors
from web.routes.console import load_visible, rt_of
from web.routes.customer import conversation_id_for
from web.security import identity_ok

router = APIRouter(tags=["follow-ups"])


class PromiseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    what: str = Field(..., max_length=500, description="What was promised, in words for the customer")
    due: str = Field(..., max_length=40, description="ISO date-time; without an offset, the agent's time zone")
    contact: str = Field("widget", max_length=16, description="widget | email")
    kind: str = Field("agent", max_length=16, description="agent | technician | after_hours")


class SignedInCustomer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    external_id: str = Field(..., min_length=1, max_length=128)
    identity_hash: str = Field(..., max_length=128)


def _parse_due(text: str, tz: str) -> datetime:
    try:
        due = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise HTTPException(422, "due must be a date and time such as 2026-12-09T17:00") from exc
    return due.replace(tzinfo=ZoneInfo(tz)) if due.tzinfo is None else due


@router.post("/api/console/conversations/{conversation_id}/promise", status_code=201,
             responses=errors(401, 403, 404, 409), dependencies=[Depends(csrf_protect)])
def promise(conversation_id: str, body: PromiseBody, request: Request,
            user: Annotated[StaffUser, Depends(require_agent)]) -> dict[str, Any]:
    """Record "what, by when, how to reach the customer" as the conversation's case, followed up."""
    from followup import PromiseError, PromiseIn, make_promise

    rt = rt_of(request)
    with rt.db.session() as s:
        conv = load_visible(s, user, conversation_id)
        if not user.is_admin and conv.assigned_agent_id != user.id:
            raise HTTPException(409, "accept the conversation first")
        agent = s.get(Agent, user.id)
        assert agent is not None
        due = _parse_due(body.due, agent.timezone or "UTC")
        try:
            case = make_promise(s, rt.bus, conv, agent, PromiseIn(body.what, due, body.contact, body.kind), utcnow())
        except PromiseError as exc:
            raise HTTPException(422, str(exc)) from exc
        return {"case_number": case.number, "due": due.isoformat(), "customer_id": conv.customer_id}


@router.get("/api/console/followups", responses=errors(401))
def my_followups(request: Request, user: Annotated[StaffUser, Depends(require_agent)]) -> dict[str, Any]:
    """The reminders and escalations addressed to me that I have not dismissed, newest first."""
    from crm import Case

    with rt_of(request).db.session() as s:
        rows = s.execute(select(FollowUpAttempt, Case).join(Case, Case.id == FollowUpAttempt.case_id)
                         .where(FollowUpAttempt.agent_id == user.id, FollowUpAttempt.channel == "console",
                                FollowUpAttempt.seen_at.is_(None))
                         .order_by(FollowUpAttempt.id.desc()).limit(50)).all()
        return {"alerts": [{"id": a.id, "kind": a.kind, "text": a.text, "case_number": c.number,
                            "customer_id": c.customer_id, "at": a.at.isoformat()} for a, c in rows]}


@router.post("/api/console/followups/{attempt_id}/dismiss", status_code=204, responses=errors(401, 403, 404),
             dependencies=[Depends(csrf_protect)])
def dismiss(attempt_id: Annotated[int, Path(ge=1, le=MAX_ID)], request: Request,
            user: Annotated[StaffUser, Depends(require_agent)]) -> None:
    with rt_of(request).db.session() as s:
        row = s.get(FollowUpAttempt, attempt_id)
        if row is None or row.agent_id != user.id:
            raise HTTPException(404, "alert not found")
        row.seen_at = utcnow()


def _notices(request: Request, customer_id: str) -> dict[str, Any]:
    from followup import FollowUpSettings, customer_notices

    before = timedelta(minutes=FollowUpSettings().remind_before_minutes)
    with rt_of(request).db.session() as s:
        return {"notices": customer_notices(s, customer_id, utcnow(), before)}


@router.post("/api/conversations/{conversation_id}/notices", tags=["customer"],
             summary="What a returning customer sees first: updates and promises about their cases",
             responses=errors(404))
def conversation_notices(request: Request, conversation_id: Annotated[str, Depends(conversation_id_for)]) -> dict:
    with rt_of(request).db.session() as s:
        customer_id = store.get_conversation(s, conversation_id).customer_id
    return _notices(request, customer_id)


@router.post("/api/notices", tags=["customer"], summary="The same for a signed-in customer before any conversation",
             responses=errors(403))
def customer_notices_signed_in(body: SignedInCustomer, request: Request) -> dict:
    rt = rt_of(request)
    if not identity_ok(rt.settings.secret_key, body.external_id, body.identity_hash):
        raise HTTPException(403, "customer identity could not be verified")
    with rt.db.session() as s:
        customer = store.find_customer(s, "external_id", body.external_id)
        customer_id = customer.id if customer else None
    return _notices(request, customer_id) if customer_id else {"notices": []}
