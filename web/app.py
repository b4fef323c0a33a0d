"""The FastAPI app: customer channel, widget, staff pages, and the endpoints Rasa calls."""

from __future__ import annotations

import gc
import hashlib
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from bot.loop import ConversationLoop
from bot.runtime import Runtime, set_runtime
from core.settings import CoreSettings, get_settings
from web.auth import LoginRequired
from web.limits import BodyLimitMiddleware
from web.ratelimit import RateLimits
from web.settings import WebSettings

HERE = Path(__file__).resolve().parent


def create_app(
    settings: CoreSettings | None = None, runtime_factory: Callable[[CoreSettings], Runtime] | None = None,
    web_settings: WebSettings | None = None, *, freeze_heap: bool = False,
) -> FastAPI:
    """Return the app; runtime_factory builds the services at start-up (tests pass their own).

    freeze_heap (the served app, web/main.py): once the runtime is built, what start-up loaded
    (modules, models, the index: about 600,000 objects) goes to the collector's permanent generation.
    Python's full collections walked all of it, stopping every request for 300–390 ms about every 25 s
    under 200 customers; they now walk only what came later. Not for tests, which build many apps
    in one process (frozen objects are never collected)."""
    settings = settings or get_settings()
    from core.redaction import install_log_redaction

    install_log_redaction()  # before anything logs: no card, email or phone reaches a log file
    web_settings = web_settings or WebSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import anyio

        from web.startup import build_runtime

        # Served, not merely built: the interval is the process's, so tests that only build an app keep theirs.
        sys.setswitchinterval(web_settings.gil_switch_ms / 1000)
        factory = runtime_factory or build_runtime
        rt = await anyio.to_thread.run_sync(factory, settings)
        install_runtime(app, rt)
        if freeze_heap:
            gc.collect()
            gc.freeze()
        yield
        set_runtime(None)
        if "followups" in rt.extras:  # the follow-up scheduler (issue 10)
            rt.extras["followups"].shutdown()
        rt.bus.close()
        app.state.rate_limits.close()
        close = getattr(rt.dialogue, "close", None)
        if close:
            close()
        rt.db.dispose()

    app = FastAPI(
        title="Firstline",
        description="Customer channel, staff console and admin of the Firstline support desk.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="firstline_session",
        same_site="strict",  # staff forms post only from our own pages: no cross-site requests
        https_only=settings.mode != "local",
        max_age=12 * 3600,
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=64 * 1024)
    from web.metrics import install as install_metrics

    install_metrics(app)  # outermost: times every request, under its route template
    app.state.web_settings = web_settings
    # one budget across the desk's workers through its Redis, namespaced like the event bus (per database)
    app.state.rate_limits = RateLimits(web_settings, settings.redis_url,
                                       namespace=hashlib.sha256(settings.database_url.encode()).hexdigest()[:12])

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?next={exc.next_url}", status_code=303)

    @app.exception_handler(LookupError)
    async def not_found(request: Request, exc: LookupError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    from web import unavailable
    from web.routes import (
        admin,
        channels,
        console,
        customer,
        dashboard,
        health,
        pages,
        privacy,
        rasa_bridge,
        staff,
        surge,
    )

    unavailable.install(app)  # database unreachable: 503 + Retry-After, nothing half-stored

    app.include_router(customer.router)
    app.include_router(rasa_bridge.router)
    app.include_router(health.router)
    app.include_router(staff.router)
    app.include_router(console.router)
    app.include_router(admin.router)
    app.include_router(dashboard.router)
    from web.routes import customers, followups  # issue 10: promises, follow-ups, the customer page

    app.include_router(followups.router)
    app.include_router(customers.router)
    app.include_router(privacy.api)
    app.include_router(privacy.pages)
    app.include_router(pages.router)
    app.include_router(surge.router)  # issue 11: surge banner data and notice
    app.include_router(channels.router)  # issue 11: inbound channels (public posts)
    from web.routes import assist, inbox, widget  # issue 14: inbox, agent assist, widget look and hours

    app.include_router(inbox.router)
    app.include_router(assist.router)
    from web.routes import admin_team

    app.include_router(admin_team.router)
    app.include_router(widget.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return app


def install_runtime(app: FastAPI, rt: Runtime) -> None:
    """Wire a started runtime into the app (start-up, or tests with their own parts)."""
    from rasa_sdk.executor import ActionExecutor

    from bot.feedback import record_feedback

    set_runtime(rt)
    app.state.runtime = rt
    from web.metrics import subscribe as count_metrics

    count_metrics(rt.bus)
    gate = rt.extras["escalation_gate"]
    app.state.loop = ConversationLoop(rt, gate)
    app.state.feedback = lambda rt_, cid, mid, helpful: record_feedback(rt_, gate, cid, mid, helpful)
    executor = ActionExecutor()
    executor.register_package("actions")
    app.state.action_executor = executor
