"""/metrics for Prometheus: request latency per route template, handoffs from events, state read at scrape time.

Access: with FIRSTLINE_METRICS_TOKEN set, a scrape must send `Authorization: Bearer <token>`.
Without it, local mode answers loopback clients only and any other mode refuses every scrape.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import func, select

from core.db import Database, utcnow
from core.events import Event, EventBus, events
from core.metrics import HANDOFFS, HTTP_REQUEST_SECONDS, TURN_SECONDS, multiprocess_dir

router = APIRouter(include_in_schema=False)
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class MetricsSettings(BaseSettings):
    """Settings of /metrics (env prefix FIRSTLINE_METRICS_)."""

    model_config = SettingsConfigDict(env_prefix="FIRSTLINE_METRICS_", env_file=".env", extra="ignore")

    token: str = ""  # bearer token Prometheus sends; required outside local mode


class RouteTimer:
    """ASGI middleware: observe each HTTP request under its route template ('/api/conversations/{conversation_id}').

    Paths that match no route count as 'unmatched', so a scan of random URLs cannot grow the label set.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope.get("method", "GET") if scope.get("method") in METHODS else "other"
            HTTP_REQUEST_SECONDS.labels(method, route, str(status)).observe(time.perf_counter() - start)


def turn_outcome(result: Any) -> str:
    """Name what a customer turn ended in, for the turn latency histogram."""
    from crm import ConversationStatus, Sender

    if result.duplicate:
        return "duplicate"
    if result.handoff is not None:
        return "handed_off"
    if any(m.sender == Sender.BOT for m in result.messages):
        return "replied"
    return "to_person" if result.status in ConversationStatus.HUMAN_OWNED else "no_reply"


def observe_turn(result: Any, seconds: float) -> None:
    TURN_SECONDS.labels(turn_outcome(result)).observe(seconds)


def subscribe(bus: EventBus) -> None:
    """Count handoffs from the events (every handoff publishes conversation.queued, a named agent or not)."""

    def handed_off(event: Event) -> None:
        trigger = str(event.data.get("trigger") or "unknown")[:64]
        HANDOFFS.labels(trigger, "agent" if event.data.get("agent_id") is not None else "case").inc()

    bus.on(events.CONVERSATION_QUEUED, handed_off)


class StateCollector:
    """Gauges read from the database at scrape time with a few cheap, indexed counts."""

    def __init__(self, db: Database, now: datetime | None = None) -> None:
        self.db, self.now = db, now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from crm import Agent, Case, Conversation, ConversationStatus, Handoff

        now = self.now or utcnow()
        with self.db.session() as s:
            queued = int(s.scalar(select(func.count()).select_from(Conversation)
                                  .where(Conversation.status == ConversationStatus.QUEUED)) or 0)
            # Each waiting chat counts from its latest handoff (few rows: the queue, by index).
            latest = (select(func.max(Handoff.created_at)).where(Handoff.conversation_id == Conversation.id)
                      .scalar_subquery())
            oldest = s.scalar(select(func.min(latest)).where(Conversation.status == ConversationStatus.QUEUED))
            online = dict(s.execute(select(Agent.status, func.count()).group_by(Agent.status)).all())
            open_cases = (Case.status == "open", Case.promised_by.is_not(None))
            due = int(s.scalar(select(func.count()).select_from(Case).where(*open_cases, Case.promised_by >= now))
                      or 0)
            overdue = int(s.scalar(select(func.count()).select_from(Case).where(*open_cases, Case.promised_by < now))
                          or 0)
        yield GaugeMetricFamily("firstline_queue_length", "Conversations waiting for a person now.", value=queued)
        wait = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
        yield GaugeMetricFamily("firstline_queue_oldest_wait_seconds",
                                "How long the longest-waiting conversation has waited for a person.", value=wait)
        agents = GaugeMetricFamily("firstline_agents", "Staff by status (online, away, offline).", labels=["status"])
        for status in ("online", "away", "offline"):
            agents.add_metric([status], int(online.get(status, 0)))
        yield agents
        yield GaugeMetricFamily("firstline_agents_online", "Staff online now.", value=int(online.get("online", 0)))
        yield GaugeMetricFamily("firstline_followups_due",
                                "Open cases with a promised follow-up time still ahead.", value=due)
        yield GaugeMetricFamily("firstline_followups_overdue",
                                "Open cases whose promised follow-up time has passed.", value=overdue)


def exposition(db: Database | None, now: datetime | None = None) -> bytes:
    """Return the text Prometheus scrapes: this process's (or every worker's) metrics plus the state gauges."""
    if multiprocess_dir() is not None:
        from prometheus_client import multiprocess

        base = CollectorRegistry()
        multiprocess.MultiProcessCollector(base)
    else:
        base = REGISTRY
    out = generate_latest(base)
    if db is not None:
        state = CollectorRegistry(auto_describe=False)
        state.register(StateCollector(db, now))  # type: ignore[arg-type]
        out += generate_latest(state)
    return out


def allowed(request: Request) -> None:
    """Raise 401/403 unless this scrape may read the metrics."""
    settings: MetricsSettings = request.app.state.metrics_settings
    if settings.token:
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), settings.token.encode()):
            raise HTTPException(401, "a valid metrics token is required (Authorization: Bearer ...)",
                                headers={"WWW-Authenticate": "Bearer"})
        return
    mode = request.app.state.runtime.settings.mode
    if mode != "local":
        raise HTTPException(403, "set FIRSTLINE_METRICS_TOKEN to enable /metrics outside local mode")
    host = request.client.host if request.client else ""
    if host not in LOOPBACK:
        raise HTTPException(403, "without FIRSTLINE_METRICS_TOKEN, /metrics answers only on loopback")


@router.get("/metrics")
def metrics(request: Request) -> Response:
    allowed(request)
    return Response(exposition(request.app.state.runtime.db), media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI) -> None:
    """Add the route timer and /metrics to app (settings read once, here)."""
    app.state.metrics_settings = MetricsSettings()
    app.add_middleware(RouteTimer)
    app.include_router(router)
