"""Surge alerts and the surge notice: the banner's data for staff, and the admin page to write the notice."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.runtime import Runtime, get_runtime
from core.events import events
from web.auth import StaffUser, require_admin, require_agent
from web.csrf import csrf_protect
from web.surge import surge_state
from web.templating import templates

router = APIRouter(tags=["surge"], dependencies=[Depends(csrf_protect)])
Admin = Annotated[StaffUser, Depends(require_admin)]


def rt_of(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


# Every staff page that includes surge_banner.html renders the current state on load.
templates.env.globals["surge_state"] = lambda: surge_state(get_runtime())


@router.get("/api/surge", summary="The running surge alert and the notice customers are told (staff only)")
def current(request: Request, user: Annotated[StaffUser, Depends(require_agent)]) -> dict[str, Any]:
    return surge_state(rt_of(request))


@router.get("/admin/surge", response_class=HTMLResponse, include_in_schema=False)
def surge_page(request: Request, user: Admin) -> Response:
    return _page(request, user)


def _page(request: Request, user: StaffUser, status_code: int = 200, error: str = "", draft: str = "") -> Response:
    from insights.notice import MAX_NOTICE_CHARS, notice_history
    from insights.surge_store import recent_alerts

    with rt_of(request).db.session() as s:
        notices = [{"text": n.text, "by": n.created_by, "at": n.created_at.strftime("%Y-%m-%d %H:%M"),
                    "cleared_by": n.cleared_by,
                    "cleared_at": n.cleared_at.strftime("%Y-%m-%d %H:%M") if n.cleared_at else None}
                   for n in notice_history(s)]
        alerts = [{"summary": a.summary, "started": a.started_at.strftime("%Y-%m-%d %H:%M"),
                   "ended": a.ended_at.strftime("%Y-%m-%d %H:%M") if a.ended_at else None}
                  for a in recent_alerts(s)]
    return templates.TemplateResponse(request, "admin_surge.html", {
        "user": user, "notices": notices, "alerts": alerts, "error": error, "draft": draft,
        "max_chars": MAX_NOTICE_CHARS, "state": surge_state(rt_of(request))}, status_code=status_code)


def _changed(rt: Runtime, action: str, by: str) -> None:
    board = rt.extras.get("notice_board")
    if board is not None:
        board.forget()
    rt.bus.emit(events.NOTICE_CHANGED, None, action=action, by=by)


# No max_length on the form field: FastAPI would answer with raw JSON; clean_notice names the limit.
@router.post("/admin/surge/notice", include_in_schema=False)
def write_notice(request: Request, user: Admin, text: Annotated[str, Form()] = "") -> Response:
    from insights.notice import NoticeError, set_notice

    rt = rt_of(request)
    try:
        with rt.db.session() as s:
            set_notice(s, text, user.username)
    except NoticeError as exc:
        return _page(request, user, 422, error=f"The notice was not saved: {exc}.", draft=text[:2000])
    _changed(rt, "set", user.username)
    return RedirectResponse("/admin/surge", status_code=303)


@router.post("/admin/surge/notice/clear", include_in_schema=False)
def clear(request: Request, user: Admin) -> Response:
    from insights.notice import clear_notice

    rt = rt_of(request)
    with rt.db.session() as s:
        cleared = clear_notice(s, user.username)
    if cleared:
        _changed(rt, "cleared", user.username)
    return RedirectResponse("/admin/surge", status_code=303)
