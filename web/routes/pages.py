"""Public pages: the demo company site with the widget, and staff login."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crm import store
from web.auth import current_user, login
from web.csrf import csrf_protect
from web.security import identity_hash
from web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/")
def index() -> RedirectResponse:
    return RedirectResponse("/demo")


@router.get("/demo", response_class=HTMLResponse)
def demo(request: Request, as_: Annotated[str | None, Query(alias="as", max_length=128)] = None) -> Response:
    """The fictional company's site; ?as=cust-1001 plays a signed-in customer of that site."""
    rt = request.app.state.runtime
    customer = None
    if as_:
        with rt.db.session() as s:
            c = store.find_customer(s, "external_id", as_)
            if c is not None:
                # The company's own server computes this; the demo page stands in for it.
                customer = {
                    "id": c.external_id,
                    "name": c.name or "",
                    "hash": identity_hash(rt.settings.secret_key, as_),
                }
    with rt.db.session() as s:
        from sqlalchemy import select

        from crm import Customer

        demo_customers = [
            (c.external_id, c.name)
            for c in s.scalars(
                select(Customer).where(Customer.external_id.is_not(None)).order_by(Customer.external_id).limit(6)
            )
        ]
    return templates.TemplateResponse(request, "demo.html", {"customer": customer, "demo_customers": demo_customers})


def _safe_next(url: str | None) -> str:
    """Only same-site paths: an open redirect would hand the session to someone else's page."""
    if not url:
        return "/console"
    parsed = urlparse(url)
    if parsed.scheme or parsed.netloc or not url.startswith("/") or url.startswith("//"):
        return "/console"
    return url


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    return templates.TemplateResponse(
        request, "login.html", {"next": _safe_next(next), "error": None, "user": current_user(request)}
    )


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/console",
) -> Response:
    from web.ratelimit import RateLimited, client_address

    try:
        request.app.state.rate_limits.check("login", client_address(request))
    except RateLimited as exc:
        return templates.TemplateResponse(
            request, "login.html",
            {"next": _safe_next(next), "user": None,
             "error": f"Too many login attempts from your address. Try again in {exc.retry_after} seconds."},
            status_code=429, headers={"Retry-After": str(exc.retry_after)},
        )
    user = login(request, username, password)
    if user is None:
        return templates.TemplateResponse(
            request,
            "login.html",
            {"next": _safe_next(next), "error": "Wrong username or password.", "user": None},
            status_code=401,
        )
    target = _safe_next(next)
    if target == "/console" and user.is_admin:
        target = "/admin"
    return RedirectResponse(target, status_code=303)


@router.post("/logout", dependencies=[Depends(csrf_protect)])
def logout(request: Request) -> RedirectResponse:
    user = current_user(request)
    if user is not None:  # nobody must be promised a person who has gone home
        from web.routes.console import change_status

        change_status(request.app.state.runtime, user.id, "offline")
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/kb/{article_id}", response_class=HTMLResponse)
def kb_article(request: Request, article_id: str) -> Response:
    """A published article as customers see it (sanitised HTML)."""
    from knowledge_base import render_markdown
    from knowledge_base.models import Article

    rt = request.app.state.runtime
    with rt.db.session() as s:
        a = s.get(Article, article_id)
        if a is None or not a.searchable:
            return templates.TemplateResponse(request, "kb_article.html", {"article": None}, status_code=404)
        article = {"title": a.title, "html": render_markdown(a.body), "updated": a.updated_at.date().isoformat()}
    return templates.TemplateResponse(request, "kb_article.html", {"article": article})
