"""A signed JSON webhook, retried with exponential backoff on errors that may pass."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from outbound.delivery import Delivery
from outbound.signing import sign_body

__all__ = ["WebhookSender"]


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


class WebhookSender:
    """POST {"event", "sent_at", "data"} to one URL, signed with a shared secret.

    Connection errors, timeouts, 429 and 5xx are retried (backoff doubles each time); any other 4xx
    is final. The X-Firstline-Delivery id stays the same across retries so receivers can de-duplicate.
    """

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        attempts: int = 4,
        backoff_seconds: float = 0.5,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.url = url
        self._secret = secret
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.timeout = timeout
        self._transport = transport
        self._sleep = sleep

    def send(self, event: str, payload: dict[str, Any]) -> Delivery:
        """Deliver one event; return what happened (never raises for a failed delivery)."""
        envelope = {"event": event, "sent_at": datetime.now(UTC).isoformat(), "data": payload}
        try:
            body = json.dumps(envelope, separators=(",", ":"), default=str).encode("utf-8")
        except (TypeError, ValueError) as exc:
            return Delivery(False, "webhook", self.url, 0, f"payload is not JSON-serialisable: {exc}")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Firstline-Webhook/1",
            "X-Firstline-Event": event,
            "X-Firstline-Signature": sign_body(self._secret, body),
            "X-Firstline-Delivery": str(uuid.uuid4()),
        }
        error: str | None = None
        status: int | None = None
        attempt = 0
        with httpx.Client(timeout=self.timeout, transport=self._transport) as client:
            for attempt in range(1, self.attempts + 1):
                try:
                    response = client.post(self.url, content=body, headers=headers)
                except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:  # a malformed URL: retrying won't help
                    return Delivery(False, "webhook", self.url, attempt, f"{exc.__class__.__name__}: {exc}")
                except httpx.TimeoutException as exc:
                    status, error = None, f"timeout: {exc.__class__.__name__}"
                except httpx.TransportError as exc:
                    status, error = None, f"connection error: {exc.__class__.__name__}: {exc}"
                else:
                    status = response.status_code
                    if 200 <= status < 300:
                        return Delivery(True, "webhook", self.url, attempt, None, status)
                    error = f"HTTP {status}"
                    if not _retryable(status):
                        return Delivery(False, "webhook", self.url, attempt, error, status)
                if attempt < self.attempts:
                    self._sleep(self.backoff_seconds * 2 ** (attempt - 1))
        return Delivery(False, "webhook", self.url, attempt, error, status)
