"""Admin a team lead runs alone (issue 14): staff, widget settings, audited; safe article delete; gaps dismiss."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from core.events import events
from crm import Agent, EventRecord
from web.auth import StaffUser, require_admin
from web.csrf import csrf_protect
from web.templating import templates

router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[Depends(csrf_protect)])
Admin = Annotated[StaffUser, Depends(require_admin)]
AUDITED = ("staff.changed", "staff.created", "settings.changed", "gap.dismissed")


def _page(request: Request, name: str, user: StaffUser, status_code: int = 200, **ctx: Any) -> Response:
    return templates.TemplateResponse(request, name, {"user": user, **ctx}, status_code=status_code)


def _recent(s: Any, names: tuple[str, ...], limit: int = 15) -> list[dict[str, Any]]:
    rows = s.scalars(select(EventRecord).where(EventRecord.name.in_(names))
                     .order_by(EventRecord.id.desc()).limit(limit))
    return [{"at": r.created_at.strftime("%Y-%m-%d %H:%M"), "name": r.name, "by": r.data.get("by", ""),
             "what": r.data.get("username") or ", ".join(r.data.get("changes", {}).keys()) or r.data.get("label", ""),
             "fields": ", ".join(r.data.get("changes", {}).keys())} for r in rows]


def _staff_page(request: Request, user: StaffUser, status_code: int = 200, error: str = "", done: str = "") -> Response:
    from crm.staff import hours_to_text

    with request.app.state.runtime.db.session() as s:
        staff = [{"username": a.username, "name": a.display_name, "role": a.role, "team": a.team or "",
                  "skills": ", ".join(a.skills or []), "hours": hours_to_text(a.working_hours or {}),
                  "timezone": a.timezone, "active": a.active is not False, "capacity": a.capacity, "status": a.status}
                 for a in s.scalars(select(Agent).order_by(Agent.display_name))]
        recent = _recent(s, ("staff.changed", "staff.created"))
    return _page(request, "admin_staff.html", user, status_code, staff=staff, recent=recent, error=error, done=done)


@router.get("/staff", response_class=HTMLResponse)
def staff(request: Request, user: Admin, done: str = "") -> Response:
    return _staff_page(request, user, done=done)


@router.post("/staff", response_class=HTMLResponse)
def create_staff(request: Request, user: Admin, username: Annotated[str, Form(max_length=64)],
                 display_name: Annotated[str, Form(max_length=200)], password: Annotated[str, Form(max_length=200)],
                 role: Annotated[str, Form(max_length=16)] = "agent", team: Annotated[str, Form(max_length=64)] = "",
                 timezone: Annotated[str, Form(max_length=64)] = "Europe/London") -> Response:
    from crm.demo import create_staff as create
    from crm.staff import MIN_PASSWORD, StaffError, audit, update_staff

    if len(password) < MIN_PASSWORD:
        return _staff_page(request, user, 422, error=f"password: at least {MIN_PASSWORD} characters")
    try:
        with request.app.state.runtime.db.session() as s:
            agent = create(s, username, password, " ".join(display_name.split()) or username, role="agent")
            update_staff(s, agent, user.username, {"role": role, "team": team, "timezone": timezone})
            audit(s, "staff.created", user.username, username=agent.username, role=agent.role)
    except (ValueError, StaffError) as exc:
        return _staff_page(request, user, 422, error=str(exc))
    request.app.state.runtime.bus.emit(events.STAFF_CHANGED, None, by=user.username, username=username.lower())
    return RedirectResponse(f"/admin/staff?done=Created+{username.strip().lower()}", 303)


@router.post("/staff/{username}", response_class=HTMLResponse)
def update(request: Request, user: Admin, username: str, display_name: Annotated[str, Form(max_length=200)],
           role: Annotated[str, Form(max_length=16)], team: Annotated[str, Form(max_length=64)] = "",
           skills: Annotated[str, Form(max_length=1000)] = "", capacity: Annotated[str, Form(max_length=4)] = "3",
           working_hours: Annotated[str, Form(max_length=500)] = "",
           timezone: Annotated[str, Form(max_length=64)] = "UTC", active: Annotated[str, Form(max_length=4)] = "",
           password: Annotated[str, Form(max_length=200)] = "") -> Response:
    from crm import store
    from crm.staff import StaffError, update_staff

    rt = request.app.state.runtime
    try:
        with rt.db.session() as s:
            agent = store.agent_by_username(s, username)
            if agent is None:
                raise HTTPException(404, "no such staff member")
            if agent.id == user.id and (not active or role != "admin"):
                raise StaffError("you cannot deactivate yourself or drop your own admin role")
            was_active = agent.active is not False
            changes = update_staff(s, agent, user.username, {
                "display_name": display_name, "role": role, "team": team, "skills": skills, "capacity": capacity,
                "working_hours": working_hours, "timezone": timezone, "active": bool(active), "password": password})
            agent_id, left = agent.id, was_active and agent.active is False
    except StaffError as exc:
        return _staff_page(request, user, 422, error=str(exc))
    if left:  # nobody is promised a person who has left: their waiting customers are re-routed
        rt.bus.emit(events.AGENT_STATUS_CHANGED, None, agent_id=agent_id, status="offline")
    if changes:
        rt.bus.emit(events.STAFF_CHANGED, None, by=user.username, username=username, fields=sorted(changes))
    return RedirectResponse(f"/admin/staff?done=Saved+{username}" + ("" if changes else "+(no+change)"), 303)


SETTINGS_FIELDS = ("company_name", "widget_title", "widget_greeting", "widget_color", "business_hours", "timezone")


def _contrast_with_white(hex_color: str) -> float:
    def lum(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return 1.05 / (0.2126 * lum(r) + 0.7152 * lum(g) + 0.0722 * lum(b) + 0.05)


def _settings_page(request: Request, user: StaffUser, status_code: int = 200, error: str = "",
                   done: str = "") -> Response:
    from crm.staff import hours_to_text
    from crm.tenant import get_all
    from escalation.waiting import business_hours, hours_text

    with request.app.state.runtime.db.session() as s:
        values = get_all(s)
        derived = hours_text(*business_hours(s))
        recent = _recent(s, ("settings.changed",))
    values["business_hours"] = hours_to_text(values["business_hours"] or {})
    return _page(request, "admin_settings.html", user, status_code, values=values, derived=derived, recent=recent,
                 error=error, done=done)


@router.get("/settings", response_class=HTMLResponse)
def settings(request: Request, user: Admin, done: str = "") -> Response:
    return _settings_page(request, user, done=done)


@router.post("/settings", response_class=HTMLResponse)
def save_settings(request: Request, user: Admin, company_name: Annotated[str, Form(max_length=100)],
                  widget_title: Annotated[str, Form(max_length=60)],
                  widget_greeting: Annotated[str, Form(max_length=500)],
                  widget_color: Annotated[str, Form(max_length=7)],
                  business_hours: Annotated[str, Form(max_length=500)] = "",
                  timezone: Annotated[str, Form(max_length=64)] = "") -> Response:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from crm.staff import StaffError, audit, hours_from_text
    from crm.tenant import put

    color = widget_color.strip().lower()
    if not re.fullmatch(r"#[0-9a-f]{6}", color):
        return _settings_page(request, user, 422, error="colour: a hex colour like #0b5cad")
    if _contrast_with_white(color) < 4.5:  # white text sits on it in the widget
        return _settings_page(request, user, 422, error="colour: too light for white text (contrast below 4.5:1)")
    try:
        hours = hours_from_text(business_hours) or None
    except StaffError as exc:
        return _settings_page(request, user, 422, error=str(exc).replace("working hours", "business hours"))
    if timezone.strip():
        try:
            ZoneInfo(timezone.strip())
        except (ZoneInfoNotFoundError, ValueError):
            return _settings_page(request, user, 422, error=f"time zone: {timezone!r} is not a zone like Europe/London")
    texts = {"company_name": company_name, "widget_title": widget_title, "widget_greeting": widget_greeting}
    if any(not " ".join(v.split()) for v in texts.values()):
        return _settings_page(request, user, 422, error="name, title and greeting cannot be empty")
    new = {**{k: " ".join(v.split()) if k != "widget_greeting" else v.strip() for k, v in texts.items()},
           "widget_color": color, "business_hours": hours, "timezone": timezone.strip() or None}
    with request.app.state.runtime.db.session() as s:
        changes = {}
        for key, value in new.items():
            before = put(s, key, value, user.username)
            if before != value:
                changes[key] = [before, value]
        if changes:
            audit(s, "settings.changed", user.username, changes=changes)
    if changes:
        request.app.state.runtime.bus.emit(events.SETTINGS_CHANGED, None, by=user.username, fields=sorted(changes))
    return RedirectResponse("/admin/settings?done=" + ("Saved" if changes else "No+change"), 303)


@router.get("/articles/{article_id}/delete", response_class=HTMLResponse)
def confirm_delete(request: Request, user: Admin, article_id: str) -> Response:
    """Deleting asks first, saying what it does (the POST does it)."""
    from knowledge_base import ArticleRepository

    with request.app.state.runtime.db.session() as s:
        try:
            a = ArticleRepository().get(s, article_id)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from exc
        article = {"id": a.id, "title": a.title, "status": a.status}
    return _page(request, "admin_confirm_delete.html", user, article=article)


@router.post("/gaps/dismiss")
def dismiss_gap(request: Request, user: Admin, key: Annotated[str, Form(max_length=2000)],
                label: Annotated[str, Form(max_length=300)] = "") -> RedirectResponse:
    """Not a knowledge gap: its questions leave the report (audited)."""
    import hashlib

    from crm import GapDismissal
    from crm.staff import audit

    ids = [p for p in key.split(",") if p.strip().isdigit()]
    if not ids:
        raise HTTPException(422, "no such cluster")
    digest = hashlib.sha256(",".join(ids).encode()).hexdigest()[:64]
    with request.app.state.runtime.db.session() as s:
        if s.scalar(select(GapDismissal).where(GapDismissal.key == digest)) is None:
            s.add(GapDismissal(key=digest, label=",".join(ids), dismissed_by=user.username))
            audit(s, "gap.dismissed", user.username, label=label[:300], questions=len(ids))
    request.app.state.runtime.bus.emit(events.GAP_DISMISSED, None, by=user.username, questions=len(ids))
    return RedirectResponse("/admin/gaps?done=Dismissed", 303)
