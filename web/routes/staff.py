"""Staff areas: the agent console and the admin area (login required)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from crm import Agent
from web.auth import StaffUser, require_admin, require_agent
from web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/console", response_class=HTMLResponse)
def console(request: Request, user: Annotated[StaffUser, Depends(require_agent)]) -> Response:
    return templates.TemplateResponse(request, "console.html", {"user": user})


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, user: Annotated[StaffUser, Depends(require_admin)]) -> Response:
    rt = request.app.state.runtime
    with rt.db.session() as s:
        staff = [
            (a.username, a.display_name, a.role, a.team or "") for a in s.scalars(select(Agent).order_by(Agent.id))
        ]
    return templates.TemplateResponse(request, "admin.html", {"user": user, "staff": staff})
