"""CSRF protection for staff: a token in the session, sent back by every state-changing request.

Forms carry it in a hidden field (csrf_token), the console's fetch calls in the X-CSRF-Token header.
SameSite=strict cookies already keep other sites' requests from carrying the session; the token also
holds where SameSite does not (old browsers, a compromised sibling subdomain).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any

from fastapi import HTTPException, Request
from markupsafe import Markup
from starlette.requests import HTTPConnection

__all__ = ["FIELD", "HEADER", "csrf_input", "csrf_protect", "csrf_token", "new_csrf_token"]

SESSION_KEY = "csrf"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def new_csrf_token(session: MutableMapping[str, Any]) -> str:
    """Start a fresh token (at login, so a token seen before login is worthless after it)."""
    session[SESSION_KEY] = secrets.token_urlsafe(32)
    return str(session[SESSION_KEY])


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """Return this session's token, creating it when missing."""
    return str(session.get(SESSION_KEY) or new_csrf_token(session))


def csrf_input(request: Request) -> Markup:
    """The hidden form field every staff form carries (a Jinja global)."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, csrf_token(request.session))


async def csrf_protect(request: HTTPConnection) -> None:
    """Dependency for staff routers: 403 on a state-changing request without this session's token.

    A request without a logged-in session passes here, so the login guard answers it (401 or 303).
    """
    if not isinstance(request, Request) or request.method in SAFE_METHODS:
        return  # WebSockets check their Origin instead (web.origins)
    if request.session.get("agent_id") is None:
        return
    expected = request.session.get(SESSION_KEY)
    given = request.headers.get(HEADER)
    content_type = request.headers.get("content-type", "")
    if given is None and content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(FIELD)
        given = value if isinstance(value, str) else None
    if not expected or not given or not hmac.compare_digest(str(expected).encode(), given.encode()):
        raise HTTPException(403, "CSRF token missing or wrong: reload the page and try again")
