"""503 when the database cannot be reached: a clear answer, and nothing half-stored.

Every write runs in one transaction (core.db.Database.session), so a request that loses the
database fails whole; the connection pool (pool_pre_ping) recovers by itself once the server is back.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
DETAIL = "The service is briefly unavailable (its database cannot be reached). Please try again in a few seconds."


def _unreachable(exc: Exception) -> bool:
    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def install(app: FastAPI) -> None:
    """Answer 503 + Retry-After for requests that fail because the database is unreachable."""

    @app.exception_handler(DBAPIError)
    async def database_unavailable(request: Request, exc: DBAPIError) -> JSONResponse:
        if not _unreachable(exc):
            raise exc
        log.warning("database unavailable for %s %s: %s", request.method, request.url.path, exc.orig)
        return JSONResponse({"detail": DETAIL}, status_code=503,
                            headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


__all__ = ["DETAIL", "install"]
