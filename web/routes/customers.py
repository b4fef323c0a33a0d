"""The customer page in the console: one timeline of everything we know about a customer, and search.

Admins see every customer. An agent sees a customer when one of that customer's conversations is
visible to them now (assigned to them, or waiting unassigned), was ever assigned to them, or one of
the customer's cases is theirs; anything else is a 404, so ids cannot be probed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from core.db import utcnow
from crm import Agent, Case, Conversation, ConversationStatus, Customer, FollowUpAttempt, Identity, Message, store
from web.auth import StaffUser, require_agent
from web.csrf import csrf_protect
from web.routes.console import rt_of
from web.templating import templates

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
MAX_QUERY = 200


def _visible_ids(user: StaffUser) -> Any:
    convs = select(Conversation.customer_id).where(or_(
        Conversation.assigned_agent_id == user.id,
        and_(Conversation.status == ConversationStatus.QUEUED, Conversation.assigned_agent_id.is_(None))))
    cases = select(Case.customer_id).where(Case.assigned_agent_id == user.id)
    return convs.union(cases)


def _visible(user: StaffUser) -> ColumnElement[bool] | None:
    return None if user.is_admin else Customer.id.in_(_visible_ids(user))


def search(s: Any, user: StaffUser, q: str, limit: int = 50) -> list[Customer]:
    """Customers matching q by name, email, phone, identity, case number or anything said in their chats."""
    like = f"%{q.lower()}%"
    match = or_(
        func.lower(Customer.name).like(like), func.lower(Customer.email).like(like),
        func.lower(Customer.phone).like(like), func.lower(Customer.external_id).like(like),
        Customer.id.in_(select(Identity.customer_id).where(func.lower(Identity.value).like(like))),
        Customer.id.in_(select(Case.customer_id).where(or_(func.lower(Case.number).like(like),
                                                           func.lower(Case.title).like(like)))),
        Customer.id.in_(select(Conversation.customer_id).join(Message, Message.conversation_id == Conversation.id)
                        .where(func.lower(Message.text).like(like))),
    )
    stmt = select(Customer).where(match)
    if (vis := _visible(user)) is not None:
        stmt = stmt.where(vis)
    return list(s.scalars(stmt.order_by(Customer.name).limit(limit)))


def load_customer(s: Any, user: StaffUser, customer_id: str) -> Customer:
    customer = s.get(Customer, customer_id)
    if customer is None:
        raise HTTPException(404, "customer not found")
    if not user.is_admin and s.scalar(select(Customer.id).where(Customer.id == customer_id,
                                                                Customer.id.in_(_visible_ids(user)))) is None:
        raise HTTPException(404, "customer not found")
    return customer


def timeline(s: Any, customer: Customer) -> list[dict[str, Any]]:
    """Conversations (with transcripts, notes and ratings) and cases (with promises and attempts), oldest first."""
    names = {a.id: a.display_name for a in s.scalars(select(Agent))}
    items: list[dict[str, Any]] = []
    for conv in s.scalars(select(Conversation).where(Conversation.customer_id == customer.id)):
        msgs = store.list_messages(s, conv.id, include_notes=True)
        items.append({"kind": "conversation", "at": conv.created_at, "id": conv.id, "status": conv.status,
                      "agent": names.get(conv.assigned_agent_id or 0), "rating": conv.rating,
                      "reason": conv.handoff_reason,
                      "messages": [{"sender": m.sender, "text": m.text, "at": m.created_at,
                                    "who": (m.meta or {}).get("agent_name") or names.get(m.agent_id or 0)}
                                   for m in msgs]})
    for case in s.scalars(select(Case).where(Case.customer_id == customer.id)):
        attempts = s.scalars(select(FollowUpAttempt).where(FollowUpAttempt.case_id == case.id)
                             .order_by(FollowUpAttempt.id)).all()
        items.append({"kind": "case", "at": case.created_at, "case": case,
                      "owner": names.get(case.assigned_agent_id or 0), "attempts": attempts})
    items.sort(key=lambda i: i["at"])
    return items


@router.get("/console/customers", response_class=HTMLResponse)
def customers_page(request: Request, user: Annotated[StaffUser, Depends(require_agent)],
                   q: Annotated[str, Query(max_length=MAX_QUERY)] = "") -> Response:
    query = " ".join(q.split())
    with rt_of(request).db.session() as s:
        found = search(s, user, query) if query else []
        rows = [{"id": c.id, "name": c.name or "Visitor", "email": c.email, "phone": c.phone,
                 "external_id": c.external_id} for c in found]
    return templates.TemplateResponse(request, "customers.html", {"user": user, "q": query, "rows": rows})


@router.get("/console/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(customer_id: str, request: Request, user: Annotated[StaffUser, Depends(require_agent)]) -> Response:
    with rt_of(request).db.session() as s:
        customer = load_customer(s, user, customer_id)
        identities = s.scalars(select(Identity).where(Identity.customer_id == customer.id)
                               .order_by(Identity.id)).all()
        items = timeline(s, customer)
        return templates.TemplateResponse(request, "customer.html", {
            "user": user, "customer": customer, "identities": identities, "items": items,
            "error": request.query_params.get("error", "")[:200]})


@router.post("/console/customers/{customer_id}/cases/{number}/update")
def case_update(customer_id: str, number: str, request: Request, user: Annotated[StaffUser, Depends(require_agent)],
                text: Annotated[str, Form(max_length=2000)], close: Annotated[bool, Form()] = False) -> Response:
    """A person's update to the customer on a case: it keeps the promise and goes out on their route."""
    from followup import PromiseError, post_update

    rt = rt_of(request)
    try:
        with rt.db.session() as s:
            load_customer(s, user, customer_id)
            case = store.find_case(s, number)
            if case is None or case.customer_id != customer_id:
                raise HTTPException(404, "case not found")
            agent = s.get(Agent, user.id)
            assert agent is not None
            post_update(s, rt.bus, case, agent, text, utcnow())
            if close:
                case.status = "closed"
    except PromiseError as exc:
        from urllib.parse import quote

        return RedirectResponse(f"/console/customers/{customer_id}?error={quote(str(exc))}", status_code=303)
    return RedirectResponse(f"/console/customers/{customer_id}#case-{number}", status_code=303)
