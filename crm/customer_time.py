"""Every time a customer reads, in one format and the tenant's named time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

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
    """The tenant's time zone: the admin's setting (the demo tenant's Europe/London), else its agents'."""
    from crm.tenant import company_timezone

    return company_timezone(session)
