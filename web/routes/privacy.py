"""Admins export a customer's data or erase the customer everywhere (API, and the Customers page)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import or_, select

from bot.runtime import Runtime
from crm import Customer, Erasure, NotFound
from web.auth import StaffUser, require_admin
from web.csrf import csrf_protect
from web.errors import errors
from web.templating import templates

api = APIRouter(prefix="/api/admin/customers", tags=["admin"], responses=errors(401, 403, 404),
                dependencies=[Depends(csrf_protect)])
pages = APIRouter(prefix="/admin/customers", include_in_schema=False, dependencies=[Depends(csrf_protect)])
Admin = Annotated[StaffUser, Depends(require_admin)]


def rt_of(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def _erase(request: Request, customer_id: str, user: StaffUser) -> dict[str, Any]:
    from privacy import erase_everywhere

    rt = rt_of(request)
    try:
        # the bus re-indexes scrubbed articles and empties every worker's caches of their words
        report = erase_everywhere(rt.settings, rt.db, customer_id, user.username, bus=rt.bus)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return report.as_dict()


@api.get("/{customer_id}/export", summary="Everything held about one customer, as JSON")
def export_customer(customer_id: str, request: Request, user: Admin) -> JSONResponse:
    from privacy import export

    try:
        data = export(rt_of(request).db, customer_id)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return JSONResponse(data, headers={"Content-Disposition": f'attachment; filename="customer-{customer_id}.json"'})


@api.post("/{customer_id}/erase", summary="Erase one customer everywhere (audited: who, whom, when)")
def erase_customer(customer_id: str, request: Request, user: Admin) -> dict[str, Any]:
    return _erase(request, customer_id, user)


class MemoryIn(BaseModel):
    texts: list[Annotated[str, Field(max_length=2000)]] = Field(..., max_length=200)


class MemoryOut(BaseModel):
    pid: int = Field(..., description="The app worker that answered (each worker has its own caches)")
    caches: dict[str, int] = Field(..., description="Entries of each in-memory cache holding one of the texts")


@api.post("/memory", summary="How many entries this worker's caches hold of these texts (0 after an erasure)")
def memory_check(body: MemoryIn, request: Request, user: Admin) -> MemoryOut:
    import os

    memory = rt_of(request).extras.get("memory")
    return MemoryOut(pid=os.getpid(), caches=memory.holding(body.texts) if memory is not None else {})


@pages.get("", response_class=HTMLResponse)
def customers_page(request: Request, user: Admin, q: Annotated[str, Query(max_length=200)] = "",
                   erased: str = "") -> Response:
    rt = rt_of(request)
    with rt.db.session() as s:
        stmt = select(Customer).order_by(Customer.created_at.desc()).limit(50)
        if q.strip():
            like = f"%{q.strip()}%"
            stmt = stmt.where(or_(Customer.name.ilike(like), Customer.email.ilike(like),
                                  Customer.external_id.ilike(like), Customer.id == q.strip()))
        rows = [{"id": c.id, "name": c.name or "Visitor", "email": c.email or "", "external_id": c.external_id or ""}
                for c in s.scalars(stmt)]
        audit = [{"customer_id": e.customer_id, "by": e.erased_by, "at": e.erased_at.strftime("%Y-%m-%d %H:%M")}
                 for e in s.scalars(select(Erasure).order_by(Erasure.id.desc()).limit(20))]
    return templates.TemplateResponse(request, "admin_customers.html",
                                      {"user": user, "rows": rows, "q": q, "erased": erased, "audit": audit})


@pages.post("/{customer_id}/erase")
def erase_from_page(customer_id: str, request: Request, user: Admin,
                    confirm: Annotated[str, Form(max_length=64)] = "") -> Response:
    if confirm.strip() != customer_id:
        raise HTTPException(422, "type the customer's id to confirm the erasure")
    _erase(request, customer_id, user)
    return RedirectResponse(f"/admin/customers?erased={customer_id}", status_code=303)
