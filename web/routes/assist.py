"""Agent assist (issue 14): canned replies (personal and team, with placeholders) and suggested replies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from core.events import events
from crm import Agent, CannedReply
from web.auth import StaffUser, require_agent
from web.csrf import csrf_protect
from web.errors import MAX_ID, errors

router = APIRouter(prefix="/api/console", tags=["console"], responses=errors(401),
                   dependencies=[Depends(csrf_protect)])
Staff = Annotated[StaffUser, Depends(require_agent)]
ReplyId = Annotated[int, Path(ge=1, le=MAX_ID)]


class CannedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    shortcut: str = Field(..., max_length=41)
    body: str = Field(..., max_length=4000)
    team: str | None = Field(None, max_length=64, description="a team reply (admins only); empty: personal")


def _agent(s: Session, user: StaffUser) -> Agent:
    a = s.get(Agent, user.id)
    assert a is not None
    return a


def placeholder_values(s: Session, conversation_id: str | None, agent: Agent) -> dict[str, str]:
    from crm.labels import first_name

    values = {"agent_name": agent.display_name, "agent_first_name": agent.display_name.split()[0]}
    if conversation_id:
        from crm import Case, Conversation

        conv = s.get(Conversation, conversation_id)
        if conv is not None:
            values["first_name"] = first_name(conv.customer)
            values["name"] = conv.customer.name or ""
            case = s.query(Case).filter(Case.conversation_id == conv.id).order_by(Case.id.desc()).first()
            values["case_number"] = case.number if case else ""
    return values


def _view(r: CannedReply, agent: Agent, values: dict[str, str]) -> dict[str, Any]:
    from crm.canned import fill, may_edit

    return {"id": r.id, "shortcut": r.shortcut, "body": r.body, "text": fill(r.body, values),
            "scope": "personal" if r.owner_id else "team", "team": r.team, "editable": may_edit(agent, r)}


@router.get("/canned", responses=errors(404))
def list_canned(request: Request, user: Staff, conversation_id: str | None = None) -> list[dict[str, Any]]:
    """My replies and my team's, with placeholders filled for the conversation (when given and visible)."""
    from crm.canned import for_agent
    from web.routes.console import load_visible

    with request.app.state.runtime.db.session() as s:
        agent = _agent(s, user)
        if conversation_id:
            load_visible(s, user, conversation_id)
        values = placeholder_values(s, conversation_id, agent)
        return [_view(r, agent, values) for r in for_agent(s, agent)]


def _save(request: Request, user: StaffUser, body: CannedIn, reply_id: int | None) -> dict[str, Any]:
    from crm.canned import CannedError, may_edit, save

    rt = request.app.state.runtime
    with rt.db.session() as s:
        agent = _agent(s, user)
        reply = None
        if reply_id is not None:
            reply = s.get(CannedReply, reply_id)
            if reply is None or not may_edit(agent, reply):
                raise HTTPException(404, "canned reply not found")
        try:
            reply = save(s, agent, body.shortcut, body.body, team=(body.team or None), reply=reply)
        except CannedError as exc:
            raise HTTPException(422, str(exc)) from exc
        view = _view(reply, agent, placeholder_values(s, None, agent))
    rt.bus.emit(events.CANNED_REPLY_CHANGED, None, by=user.username, id=view["id"], scope=view["scope"])
    return view


@router.post("/canned", status_code=201, responses=errors(403))
def create_canned(body: CannedIn, request: Request, user: Staff) -> dict[str, Any]:
    return _save(request, user, body, None)


@router.put("/canned/{reply_id}", responses=errors(403, 404))
def update_canned(reply_id: ReplyId, body: CannedIn, request: Request, user: Staff) -> dict[str, Any]:
    return _save(request, user, body, reply_id)


@router.delete("/canned/{reply_id}", status_code=204, responses=errors(403, 404))
def delete_canned(reply_id: ReplyId, request: Request, user: Staff) -> None:
    from crm.canned import may_edit

    rt = request.app.state.runtime
    with rt.db.session() as s:
        reply = s.get(CannedReply, reply_id)
        if reply is None or not may_edit(_agent(s, user), reply):
            raise HTTPException(404, "canned reply not found")
        s.delete(reply)
    rt.bus.emit(events.CANNED_REPLY_CHANGED, None, by=user.username, id=reply_id, deleted=True)


@router.get("/conversations/{conversation_id}/suggestions", responses=errors(404))
def suggestions(conversation_id: str, request: Request, user: Staff) -> dict[str, Any]:
    """Knowledge-base passages for the customer's last message (each recorded, to learn what agents send)."""
    from bot.agent_assist import suggest
    from web.routes.console import load_visible

    rt = request.app.state.runtime
    with rt.db.session() as s:
        load_visible(s, user, conversation_id)
        return {"suggestions": suggest(s, rt.kb, conversation_id, user.id)}
