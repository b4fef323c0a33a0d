"""Inbound channels: POST /api/channels/{channel}/posts turns a signed request into a conversation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from bot.runtime import Runtime
from web.auth import StaffUser, require_agent
from web.csrf import csrf_protect
from web.errors import MAX_ID, errors

router = APIRouter(prefix="/api/channels", tags=["channels"])


def _adapters(rt: Runtime) -> dict[str, Any]:
    adapters = rt.extras.get("inbound")
    if adapters is None:  # a runtime built without web.surge.install (tests with their own parts)
        from channels import ChannelsSettings, PublicAdapter

        s = rt.extras.setdefault("channels_settings", ChannelsSettings())
        adapters = rt.extras["inbound"] = {PublicAdapter.channel: PublicAdapter(s)}
    return adapters  # type: ignore[no-any-return]


@router.post("/{channel}/posts", status_code=201, summary="Receive a signed post (format: README, 'Public channel')",
             responses={200: {"description": "the same post was received before: stored once"},
                        400: {"description": "not JSON"}, 401: {"description": "unsigned or wrongly signed"},
                        404: {"description": "no inbound channel of that name"},
                        413: {"description": "too large"}, 422: {"description": "malformed post"},
                        503: {"description": "the channel has no secret configured"}})
async def receive_post(channel: str, request: Request) -> JSONResponse:
    from channels import ChannelError, receive

    rt: Runtime = request.app.state.runtime
    adapter = _adapters(rt).get(channel)
    if adapter is None:
        return JSONResponse({"detail": f"no inbound channel {channel!r}"}, status_code=404)
    body = await request.body()
    try:
        contact = adapter.accept(body, request.headers)
    except ChannelError as exc:
        content: dict[str, Any] = {"detail": exc.message}
        if exc.errors:
            content["errors"] = exc.errors
        return JSONResponse(content, status_code=exc.status)
    s = rt.extras.get("channels_settings")
    got = await run_in_threadpool(receive, rt.db, rt.bus, rt.nlu, contact, team=getattr(s, "public_team", None),
                                  escalation_settings=getattr(rt.extras.get("escalation_gate"), "settings", None))
    return JSONResponse({"conversation_id": got.conversation_id, "duplicate": got.duplicate, "priority": got.priority,
                         "urgency": got.urgency, "agent": got.agent, "case_number": got.case_number},
                        status_code=200 if got.duplicate else 201)


@router.post("/replies/{message_id}/retry", status_code=202, summary="Send a reply that failed to deliver again",
             responses=errors(401, 403, 404, 409), dependencies=[Depends(csrf_protect)])
def retry_reply(message_id: Annotated[int, Path(ge=1, le=MAX_ID)], request: Request,
                user: Annotated[StaffUser, Depends(require_agent)]) -> dict[str, Any]:
    from crm import Message
    from web.routes.console import load_visible

    rt: Runtime = request.app.state.runtime
    with rt.db.session() as s:
        msg = s.get(Message, message_id)
        if msg is None:
            raise HTTPException(404, "message not found")
        load_visible(s, user, msg.conversation_id)  # 404 unless this agent may see the conversation
        state = ((msg.meta or {}).get("delivery") or {}).get("state")
        cid = msg.conversation_id
    if state != "failed":
        raise HTTPException(409, "only a reply that failed to deliver can be sent again")
    dispatcher = rt.extras.get("reply_dispatcher")
    if dispatcher is None or not dispatcher.dispatch(cid, message_id):
        raise HTTPException(409, "this conversation has no outbound channel")
    return {"state": "sending"}
