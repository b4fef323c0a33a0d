"""The experience dashboard: /admin/dashboard for admins, a read-only /console/dashboard for agents, CSV per chart."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from core.db import utcnow
from web.auth import StaffUser, require_admin, require_agent
from web.csrf import csrf_protect
from web.templating import templates

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
Admin = Annotated[StaffUser, Depends(require_admin)]
Staff = Annotated[StaffUser, Depends(require_agent)]
DateParam = Annotated[str, Query(max_length=10)]
DEFAULT_DAYS = 30


def period_from(start: str, end: str, granularity: str, today: date | None = None) -> Any:
    """Return the Period for the form's inclusive dates (default: the last 30 days); PeriodError if unusable."""
    from insights.dashboard import Period, PeriodError

    today = today or utcnow().date()
    try:
        last = date.fromisoformat(end) if end else today
        first = date.fromisoformat(start) if start else last - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError as exc:
        raise PeriodError("dates must be written as YYYY-MM-DD") from exc
    return Period(datetime.combine(first, datetime.min.time(), UTC),
                  datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC), granularity or "day")


def _render(request: Request, user: StaffUser, base: str, start: str, end: str, granularity: str) -> Response:
    from insights.charts import svg
    from insights.dashboard import PeriodError, agents_online
    from insights.rollup_figures import dashboard

    rt = request.app.state.runtime
    error, figures, online = None, [], 0
    try:
        period = period_from(start, end, granularity)
    except PeriodError as exc:
        error, period = str(exc), None
    if period is not None:
        with rt.db.session() as s:
            figures = dashboard(s, period)
            online = agents_online(s)
    charts = [{"fig": f, "svg": Markup(svg(f)), "csv": f"{base}/{f.key}.csv?{request.url.query}".rstrip("?")}
              for f in figures]
    queue = figures[-1].rows[-1] if figures else None
    form = {"start": start or (period.start.date().isoformat() if period else ""),
            "end": end or (((period.end - timedelta(days=1)).date().isoformat()) if period else ""),
            "granularity": granularity or "day"}
    return templates.TemplateResponse(
        request, "dashboard.html",
        {"user": user, "admin_view": base.startswith("/admin"), "charts": charts, "error": error, "form": form,
         "queue": queue, "online": online, "generated": utcnow().strftime("%Y-%m-%d %H:%M UTC")},
        status_code=422 if error else 200,
    )


def _csv(request: Request, key: str, start: str, end: str, granularity: str) -> Response:
    from insights.charts import to_csv
    from insights.dashboard import PeriodError
    from insights.rollup_figures import figure

    try:
        period = period_from(start, end, granularity)
    except PeriodError as exc:
        raise HTTPException(422, str(exc)) from exc
    with request.app.state.runtime.db.session() as s:
        try:
            fig = figure(s, key, period)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from exc
    name = f"firstline-{fig.key}-{period.start.date()}-{(period.end - timedelta(days=1)).date()}.csv"
    return Response(to_csv(fig), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/admin/dashboard", response_class=HTMLResponse)
def admin_dashboard(request: Request, user: Admin, start: DateParam = "", end: DateParam = "",
                    granularity: Annotated[str, Query(max_length=8)] = "day") -> Response:
    return _render(request, user, "/admin/dashboard", start, end, granularity)


@router.get("/console/dashboard", response_class=HTMLResponse)
def console_dashboard(request: Request, user: Staff, start: DateParam = "", end: DateParam = "",
                      granularity: Annotated[str, Query(max_length=8)] = "day") -> Response:
    return _render(request, user, "/console/dashboard", start, end, granularity)


@router.get("/admin/dashboard/{key}.csv")
def admin_csv(request: Request, user: Admin, key: str, start: DateParam = "", end: DateParam = "",
              granularity: Annotated[str, Query(max_length=8)] = "day") -> Response:
    return _csv(request, key, start, end, granularity)


@router.get("/console/dashboard/{key}.csv")
def console_csv(request: Request, user: Staff, key: str, start: DateParam = "", end: DateParam = "",
                granularity: Annotated[str, Query(max_length=8)] = "day") -> Response:
    return _csv(request, key, start, end, granularity)
