"""The two endpoints Rasa calls: the NLU parse and the custom-action webhook."""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import threading
import weakref
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from bot.runtime import Runtime
from web.errors import errors
from web.security import internal_token

router = APIRouter(tags=["rasa"], include_in_schema=True, responses=errors(400, 401, 404, 449))


def _check_token(rt: Runtime, given: str | None) -> None:
    if not given or not hmac.compare_digest(given, internal_token(rt.settings.secret_key)):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "bad or missing token")


@router.post("/nlu/model/parse", summary="Rasa's external NLU endpoint (Rasa parse format)")
async def parse(request: Request) -> dict[str, Any]:
    rt: Runtime = request.app.state.runtime
    try:
        body = await request.json()
    except ValueError as exc:
        raise HTTPException(400, "body must be JSON") from exc
    if not isinstance(body, dict):
        raise HTTPException(400, "body must be a JSON object")
    _check_token(rt, body.get("token") or request.query_params.get("token"))
    text = body.get("text")
    if not isinstance(text, str):
        raise HTTPException(422, "text must be a string")
    # The loop parsed this message a moment ago; the parser caches by text, so this is cheap.
    result = await asyncio.to_thread(rt.nlu.parse, text)
    return result


_threads = threading.local()


def run_action(executor: Any, call: dict[str, Any]) -> Any:
    """Run rasa-sdk's (async) executor for one action call on this thread's own event loop.

    Each worker thread keeps one loop for its life: asyncio.run would build and tear down a loop
    (selector, self-pipe, executor shutdown) for every call, 3 % of the app's interpreter time under
    200 customers. Each call still runs in a copy of the caller's context, as asyncio.run's would.
    """
    runner = getattr(_threads, "runner", None)
    if runner is None:
        runner = _threads.runner = asyncio.Runner()
        weakref.finalize(runner, runner.get_loop().close)  # closed when the thread (and its runner) ends
    return runner.run(executor.run(call), context=contextvars.copy_context())


class ActionError(BaseModel):
    """rasa-sdk's error answer ({error, action_name}); the app's own checks answer {detail}."""

    error: str | None = None
    action_name: str | None = None
    detail: str | dict[str, Any] | list[Any] | None = None


ACTION_ERRORS = {c: {"model": ActionError, "description": d} for c, d in (
    (400, "Bad call (rasa-sdk) or malformed body"), (404, "No such action"), (449, "Retry with the domain"))}


@router.post("/webhook", summary="Rasa's action server webhook (rasa-sdk, mounted in the app)", responses=ACTION_ERRORS)
async def webhook(request: Request) -> JSONResponse:
    from rasa_sdk.executor import ActionExecutor
    from rasa_sdk.interfaces import ActionExecutionRejection, ActionMissingDomainException, ActionNotFoundException

    rt: Runtime = request.app.state.runtime
    _check_token(rt, request.query_params.get("token"))
    try:
        call = await request.json()
    except ValueError:
        return JSONResponse({"error": "Invalid body request"}, status_code=400)
    if not isinstance(call, dict):
        return JSONResponse({"error": "Invalid body request"}, status_code=400)
    executor: ActionExecutor = request.app.state.action_executor
    try:
        # Actions are sync and touch the database and models; keep them off the event loop.
        result = await asyncio.to_thread(run_action, executor, call)
    except ActionExecutionRejection as e:
        return JSONResponse({"error": e.message, "action_name": e.action_name}, status_code=400)
    except ActionNotFoundException as e:
        return JSONResponse({"error": e.message, "action_name": e.action_name}, status_code=404)
    except ActionMissingDomainException as e:
        return JSONResponse({"error": e.message, "action_name": e.action_name}, status_code=449)
    return JSONResponse(result.model_dump() if result else None)
