"""Client for Rasa's REST channel: one customer turn in, the bot's replies out."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

import httpx

from core.metrics import RASA_FAILURES, RASA_REQUEST_SECONDS, RASA_SLOW

log = logging.getLogger(__name__)


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
    """Talks to one Rasa server; every failure becomes DialogueUnavailable.

    A slow Rasa must not pass for a dead one (issue 12: under load, turns timed out inside a busy
    Rasa and customers were handed off as "dialogue unavailable" although nothing was broken):
    - at most `max_in_flight` turns are at this server at once; the others wait here, in the app,
      for a slot (up to `patience` seconds), so Rasa works on a few turns at a time instead of
      slowing all of them down together;
    - `timeout` counts from dispatch. When it passes, the server's health check decides: alive
      means slow, so the turn keeps waiting (up to `patience` seconds in all); failing it means
      stopped or hung, and the turn fails now. Refused connections fail at once, as before.
    - After a failed health check the server is marked down: later turns check its health before
      sending and, while it fails, raise RasaUnreachable unsent, so a pool passes them on safely.
    """

    def __init__(self, base_url: str, timeout: float, transport: httpx.BaseTransport | None = None, *,
                 max_in_flight: int = 4, patience: float = 25.0, probe_timeout: float = 5.0) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.patience = max(patience, timeout)
        self.probe_timeout = min(probe_timeout, timeout) if timeout > 0 else probe_timeout
        self.max_in_flight = max_in_flight
        # The read timeout is the patience: whether to wait longer is decided by the health check.
        self._client = httpx.Client(base_url=self.base_url, transport=transport,
                                    timeout=httpx.Timeout(self.patience, connect=timeout))
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._calls = ThreadPoolExecutor(max_workers=max_in_flight, thread_name_prefix="rasa-call")
        self._down = False  # set when the health check failed after a timeout; cleared by an answer

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
        if not self._slots.acquire(timeout=self.patience):
            raise DialogueUnavailable(f"Rasa was busy with {self.max_in_flight} turns for {self.patience:g}s",
                                      "overloaded")
        try:
            if self._down and not self.healthy():
                # Not sent: another server may take it (it never reached this one).
                raise RasaUnreachable("Rasa unreachable: it stopped answering its health check", "unreachable")
            call = self._calls.submit(self._post, body)
        except BaseException:
            self._slots.release()
            raise
        call.add_done_callback(lambda _: self._slots.release())  # the slot is held while Rasa has the turn
        return self._wait(call)

    def _wait(self, call: Future[list[BotReply]]) -> list[BotReply]:
        dispatched = time.monotonic()
        while True:
            waited = time.monotonic() - dispatched
            try:
                return call.result(timeout=max(0.0, min(self.timeout, self.patience - waited)))
            except FutureTimeout:
                waited = time.monotonic() - dispatched
                if waited >= self.patience:
                    raise DialogueUnavailable(f"Rasa did not answer within {self.patience:g}s", "timeout") from None
                if not self.healthy():
                    self._down = True
                    raise DialogueUnavailable(f"Rasa did not answer within {waited:.0f}s and fails its health "
                                              "check", "timeout") from None
                RASA_SLOW.inc()
                log.info("Rasa is slow but alive: a turn has waited %.1fs; still waiting", waited)

    def _post(self, body: dict[str, Any]) -> list[BotReply]:
        try:
            resp = self._client.post("/webhooks/rest/webhook", json=body)
        except httpx.TimeoutException as exc:
            raise DialogueUnavailable(f"Rasa did not answer within {self.patience:g}s", "timeout") from exc
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
            # Refused, or the server went away before answering (a kept-alive connection to a killed
            # process): Rasa saves a turn's tracker only when the turn completes, so another may take it.
            raise RasaUnreachable(f"Rasa unreachable: {exc.__class__.__name__}", "unreachable") from exc
        except httpx.HTTPError as exc:
            raise DialogueUnavailable(f"Rasa unreachable: {exc.__class__.__name__}", "unreachable") from exc
        self._down = False
        if resp.status_code != 200:
            raise DialogueUnavailable(f"Rasa answered HTTP {resp.status_code}", "http_status")
        try:
            return replies_from_rest(resp.json())
        except ValueError as exc:
            raise DialogueUnavailable("Rasa sent a reply that is not JSON", "bad_reply") from exc

    def healthy(self) -> bool:
        try:
            ok = self._client.get("/", timeout=self.probe_timeout).status_code == 200
        except httpx.HTTPError:
            ok = False
        if ok:
            self._down = False
        return ok

    def close(self) -> None:
        self._calls.shutdown(wait=False, cancel_futures=True)
        self._client.close()
