"""What the widget shows before the customer types: the tenant's look, greeting, business hours, reply time."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from core.db import utcnow

router = APIRouter(prefix="/api/widget", tags=["customer"])


@router.get("/config", summary="Widget look, greeting, business hours and the expected reply time")
def config(request: Request) -> dict[str, Any]:
    from crm.tenant import get_all
    from escalation.waiting import availability

    rt = request.app.state.runtime
    with rt.db.session() as s:
        t = get_all(s)
        seen = availability(s, utcnow())
    return {"company": t["company_name"], "title": t["widget_title"], "greeting": t["widget_greeting"],
            "color": t["widget_color"], **seen}
