"""Refuse oversized, non-UTF-8 or unencodable request bodies before any route sees them."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimitMiddleware:
    """413 for bodies over max_bytes; 400 for JSON bodies that are not UTF-8; 422 for lone surrogates."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


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
