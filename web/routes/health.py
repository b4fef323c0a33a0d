"""Health: is this process up, and can it reach Rasa."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import text

router = APIRouter(tags=["health"])


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    rt = request.app.state.runtime
    with rt.db.session() as s:
        s.execute(text("SELECT 1"))
    from core.redis_bus import RedisEventBus

    if isinstance(rt.bus, RedisEventBus):  # production: events across workers, or polling while Redis is gone
        live = "redis" if rt.bus.live else "degraded"
    else:
        live = "in-process"
    return {"status": "ok", "database": rt.db.engine.dialect.name, "live_events": live}


@router.get("/health/dialogue")
def dialogue_health(request: Request) -> dict[str, Any]:
    rt = request.app.state.runtime
    return {"rasa": "ok" if rt.dialogue.healthy() else "unreachable"}
