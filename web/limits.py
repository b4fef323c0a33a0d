"""Refuse oversized, non-UTF-8 or unstorable requests before any route sees them.

Unstorable: a lone surrogate (no database can encode it) or a NUL character (PostgreSQL text cannot
hold it, SQLite can: without this check a name or search with NUL was a 500 on PostgreSQL only).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimitMiddleware:
    """413 for bodies over max_bytes; 400 for JSON bodies that are not UTF-8 and for NUL in the path or
    query; 422 for lone surrogates or NUL in a JSON or form body."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and _nul_in_url(scope):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await _error(send, 400, "the address contains a NUL character")
            return
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await _error(send, 413, f"request body is larger than {self.max_bytes} bytes")
                return
            chunks.append(body)
            more = message.get("more_body", False)
        raw = b"".join(chunks)
        headers = dict(scope.get("headers") or [])
        if b"json" in headers.get(b"content-type", b""):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                await _error(send, 400, "request body is not valid UTF-8")
                return
            if _lone_surrogate(raw):
                # JSON may escape half a UTF-16 pair ("\\ud800"): Python decodes it to a string that no
                # database can store, so it would fail half-way (issue 12).
                await _error(send, 422, {"code": "not_utf8", "message": "The text contains a lone surrogate "
                                         "(\\ud800-\\udfff): it is not valid Unicode."})
                return
            if b"\\u0000" in raw and _has_nul(raw):
                await _error(send, 422, {"code": "nul_character", "message": "The text contains a NUL character "
                                         "(\\u0000), which cannot be stored."})
                return
        elif b"form" in headers.get(b"content-type", b"") and (b"%00" in raw or b"\x00" in raw):
            await _error(send, 422, {"code": "nul_character", "message": "A form field contains a NUL character."})
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _nul_in_url(scope: Scope) -> bool:
    query = scope.get("query_string") or b""
    return "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query


def _has_nul(raw: bytes) -> bool:
    """True when a JSON body decodes to text with a NUL character (in a key or a value)."""
    try:
        todo = [json.loads(raw)]
    except (ValueError, RecursionError):
        return False
    while todo:
        value = todo.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            todo += [*value.keys(), *value.values()]
        elif isinstance(value, list):
            todo += value
    return False


def _lone_surrogate(raw: bytes) -> bool:
    """True when a JSON body decodes to text with an unpaired surrogate."""
    if b"\\ud" not in raw.lower():
        return False
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return False  # not JSON (or nested beyond reason): the route answers that
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


async def _error(send: Send, status: int, detail: str | dict[str, str]) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers: list[Any] = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
