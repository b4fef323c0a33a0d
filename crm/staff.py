"""Staff management a team lead runs from the admin area (issue 14): validated, audited changes."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from crm.models import Agent
from crm.passwords import hash_password
from crm.store import record_event

__all__ = ["MIN_PASSWORD", "StaffError", "audit", "hours_from_text", "hours_to_text", "update_staff"]

MIN_PASSWORD = 10
_DAY = r"(mon|tue|wed|thu|fri|sat|sun)"
_SPAN = re.compile(rf"^{_DAY}(-{_DAY})?\s+([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")


class StaffError(ValueError):
    """A staff change refused, naming the field."""


def hours_from_text(text: str) -> dict[str, str]:
    """Parse 'mon-fri 08:00-18:00; sat 09:00-13:00' (empty: no hours, always on shift)."""
    hours: dict[str, str] = {}
    for part in filter(None, (p.strip().lower() for p in re.split(r"[;\n]", text))):
        if not _SPAN.match(part):
            raise StaffError(f"working hours: {part!r} is not like 'mon-fri 08:00-18:00'")
        days, span = part.split()
        start, end = span.split("-")
        if start >= end:
            raise StaffError(f"working hours: {part!r} ends before it starts")
        hours[days] = span
    return hours


def hours_to_text(hours: dict[str, str]) -> str:
    return "; ".join(f"{d} {s}" for d, s in (hours or {}).items())


def audit(session: Session, name: str, by: str, **data: Any) -> None:
    """Keep who changed what in the event log (the audit trail)."""
    record_event(session, name, None, {"by": by, **data})


def update_staff(session: Session, agent: Agent, by: str, form: dict[str, Any]) -> dict[str, list[Any]]:
    """Apply the admin's form to agent; return {field: [before, after]} of what changed (raising StaffError)."""
    changes: dict[str, list[Any]] = {}

    def put(field: str, value: Any) -> None:
        before = getattr(agent, field)
        if before != value:
            changes[field] = [before, value]
            setattr(agent, field, value)

    if "display_name" in form:
        name = " ".join(str(form["display_name"]).split())
        if not name or len(name) > 200:
            raise StaffError("name: 1-200 characters")
        put("display_name", name)
    if "role" in form:
        if form["role"] not in ("agent", "admin"):
            raise StaffError("role: agent or admin")
        put("role", form["role"])
    if "team" in form:
        put("team", (str(form["team"]).strip() or None))
    if "skills" in form:
        put("skills", [x.strip() for x in str(form["skills"]).split(",") if x.strip()])
    if "capacity" in form:
        try:
            cap = int(form["capacity"])
        except (TypeError, ValueError):
            raise StaffError("capacity: a whole number") from None
        if not 1 <= cap <= 50:
            raise StaffError("capacity: 1 to 50 chats")
        put("capacity", cap)
    if "working_hours" in form:
        put("working_hours", hours_from_text(str(form["working_hours"])))
    if "timezone" in form:
        tz = str(form["timezone"]).strip()
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise StaffError(f"time zone: {tz!r} is not a zone like Europe/London") from None
        put("timezone", tz)
    if "active" in form:
        put("active", bool(form["active"]))
        if not agent.active:
            put("status", "offline")
    if form.get("password"):
        pw = str(form["password"])
        if len(pw) < MIN_PASSWORD:
            raise StaffError(f"password: at least {MIN_PASSWORD} characters")
        agent.password_hash = hash_password(pw)  # old sessions end: they carry the old hash's tail
        changes["password"] = ["(reset)", "(reset)"]
    if changes:
        shown = {k: v for k, v in changes.items()}
        audit(session, "staff.changed", by, username=agent.username, changes=shown)
    return changes
