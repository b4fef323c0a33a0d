"""Client for Rasa's REST channel: one customer turn in, the bot's replies out."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from core.metrics import RASA_FAILURES, RASA_REQUEST_SECONDS


class DialogueUnavailable(RuntimeError):
    """Rasa did not answer in time (or at all); the message says why, reason names the kind for metrics."""

    def __init__(self, message: str, reason: str = "bad_reply") -> None:
        super().__init__(message)
        self.reason = reason


class RasaUnreachable(DialogueUnavailable):
    """Rasa refused the connection or died before answering: another server may take the turn."""


@dataclass(frozen=True)
class BotReply:
    text: str
    buttons: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


def replies_from_rest(payload: Any) -> list[BotReply]:
    """Turn the REST channel's list of outputs into bot replies.

    Custom actions send one `custom` JSON object holding text plus metadata (article, scores,
    kind); Rasa emits that separately from any plain text, so it is read as a whole reply.
    """
    if not isinstance(payload, list):
        raise DialogueUnavailable(f"unexpected reply from Rasa: {type(payload).__name__}")
    replies: list[BotReply] = []
    for item in payload:
        if not isinstance(item, dict):
            continue
        custom = item.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("text"), str):
            meta = {k: v for k, v in custom.items() if k not in ("text", "buttons")}
            replies.append(BotReply(custom["text"], list(custom.get("buttons") or []), meta))
        elif isinstance(item.get("text"), str) and item["text"].strip():
            replies.append(BotReply(item["text"], list(item.get("buttons") or [])))
    return replies


class RasaClient:
    """Talks to the Rasa server; every failure becomes DialogueUnavailable."""

    def __init__(self, base_url: str, timeout: float, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def send(self, sender_id: str, text: str, metadata: dict[str, Any] | None = None) -> list[BotReply]:
        started = time.perf_counter()
        try:
            return self._send(sender_id, text, metadata)
        except DialogueUnavailable as exc:
            RASA_FAILURES.labels(exc.reason).inc()
            raise
        finally:
            RASA_REQUEST_SECONDS.observe(time.perf_counter() - started)

    def _send(self, sender_id: str, text: str, metadata: dict[str, Any] | None) -> list[BotReply]:
        body = {"sender": sender_id, "message": text, "metadata": metadata or {}}
        try:
            resp = self._client.post("/webhooks/rest/webhook", json=body)
        except httpx.TimeoutException as exc:
            raise DialogueUnavailable(f"Rasa did not answer within {self._client.timeout.read}s", "timeout") from exc
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
            # Refused, or the server went away before answering (a kept-alive connection to a killed
            # process): Rasa saves a turn's tracker only when the turn completes, so another may take it.
            raise RasaUnreachable(f"Rasa unreachable: {exc.__class__.__name__}", "unreachable") from exc
        except httpx.HTTPError as exc:
            raise DialogueUnavailable(f"Rasa unreachable: {exc.__class__.__name__}", "unreachable") from exc
        if resp.status_code != 200:
            raise DialogueUnavailable(f"Rasa answered HTTP {resp.status_code}", "http_status")
        try:
            return replies_from_rest(resp.json())
        except ValueError as exc:
            raise DialogueUnavailable("Rasa sent a reply that is not JSON", "bad_reply") from exc

    def healthy(self) -> bool:
        try:
            return self._client.get("/", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self._client.close()
