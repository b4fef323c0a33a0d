"""Tenant settings an admin edits (widget greeting, colours, business hours, time zone), with defaults."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import Agent
from crm.workspace import TenantSetting

__all__ = ["DEFAULTS", "company_timezone", "get_all", "get_one", "put"]

# business_hours None: derived from the agents' working hours (escalation.waiting); timezone None: the agents'.
DEFAULTS: dict[str, Any] = {
    "company_name": "Tidewater Fibre",
    "widget_title": "Tidewater assistant",
    "widget_greeting": ("Hi! I'm Tidewater's virtual assistant. Ask me anything about your broadband or TV "
                        "— or ask for a person at any time."),
    "widget_color": "#0b5cad",
    "business_hours": None,
    "timezone": None,
}


def get_all(session: Session) -> dict[str, Any]:
    values = dict(DEFAULTS)
    for row in session.scalars(select(TenantSetting)):
        if row.key in DEFAULTS:
            values[row.key] = row.value
    return values


def get_one(session: Session, key: str) -> Any:
    row = session.get(TenantSetting, key)
    return row.value if row is not None else DEFAULTS[key]


def put(session: Session, key: str, value: Any, by: str) -> Any:
    """Store one setting; return the previous value (for the audit trail)."""
    if key not in DEFAULTS:
        raise KeyError(key)
    row = session.get(TenantSetting, key)
    before = row.value if row is not None else DEFAULTS[key]
    if row is None:
        session.add(TenantSetting(key=key, value=value, updated_by=by))
    else:
        row.value, row.updated_by = value, by
    session.flush()
    return before


def company_timezone(session: Session, agents: list[Agent] | None = None) -> str:
    """The zone customers are told times in: the setting, else the zone most agents work in, else UTC."""
    tz = get_one(session, "timezone")
    if tz:
        return str(tz)
    agents = agents if agents is not None else list(session.scalars(select(Agent).order_by(Agent.id)))
    zones = Counter(a.timezone for a in agents if a.role == "agent" and a.timezone) or Counter(
        a.timezone for a in agents if a.timezone)
    return zones.most_common(1)[0][0] if zones else "UTC"
