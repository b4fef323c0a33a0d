"""The one error shape every API answer shares, and the status codes each route documents."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["MAX_ID", "ErrorOut", "errors"]

# Message ids are Integer columns: int4 on PostgreSQL (SQLite takes 64 bits). A larger number is a
# 422, never a crash ("integer out of range" on PostgreSQL, OverflowError on SQLite beyond 64 bits).
MAX_ID = 2**31 - 1

DESCRIPTIONS = {
    400: "Malformed request (body not JSON, not UTF-8)",
    401: "Login or token required",
    403: "Not allowed (role, CSRF token, identity or origin check)",
    404: "Not found, or not visible to the caller",
    409: "Conflicts with the conversation's current state",
    413: "Request body or message too long",
    422: "Invalid input: FastAPI's validation list, or {code, message}",
    429: "Too many requests: retry after the Retry-After header's seconds",
    449: "Rasa must retry with the domain (rasa-sdk contract)",
}


class ErrorOut(BaseModel):
    """An error: `detail` is a message, a {code, message} object, or FastAPI's list of field errors."""

    detail: str | dict[str, Any] | list[Any] = Field(..., description="What was wrong")


# Every route can meet the body-limit middleware (413, 400, 422) and the rate limiter (429).
COMMON = (400, 413, 422, 429)


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Return FastAPI `responses=` for these status codes plus the ones every route can give."""
    return {c: {"model": ErrorOut, "description": DESCRIPTIONS[c]} for c in sorted({*codes, *COMMON})}
