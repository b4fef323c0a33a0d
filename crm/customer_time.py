"""Every time a customer reads, in one format and the tenant's named time zone."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import Agent

__all__ = ["customer_time", "tenant_timezone", "zone_label"]

_LABELS = {"Europe/London": "UK time", "UTC": "UTC"}


def zone_label(tz: str) -> str:
    """The zone as a customer reads it: 'UK time' for Europe/London, else the zone's name."""
    return _LABELS.get(tz, tz.replace("_", " "))


def customer_time(at: datetime, tz: str) -> str:
    """Return 'Thursday 3 December, 07:30 (UK time)' for an aware time, in zone tz."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone, tz = ZoneInfo("UTC"), "UTC"
    local = at.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M} ({zone_label(tz)})"


def tenant_timezone(session: Session) -> str:
    """The tenant's time zone: the one most of its agents work in (the demo tenant's Europe/London); else UTC."""
    zones = Counter(z for z in session.scalars(select(Agent.timezone).where(Agent.role == "agent")) if z)
    return zones.most_common(1)[0][0] if zones else "UTC"
