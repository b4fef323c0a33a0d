"""The event bus across app workers: publish locally and to a Redis channel; every worker fans out.

Each worker delivers its own events to its own subscribers at once (as the in-process bus does) and
publishes them on one Redis channel; a listener thread delivers the other workers' events to this
worker's WebSocket subscribers and to handlers registered with `on_every_worker`. A worker skips its
own messages, so nothing reaches a local subscriber twice. Events are notifications and the
database is the truth: while Redis is gone, publishing is skipped, subscribers are told
`live.degraded` (widget and console poll), and `live.restored` makes them re-read once it is back.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from typing import Any

from core.events import Event, EventBus, Handler, events

log = logging.getLogger(__name__)

CHANNEL = "firstline:events"


class RedisEventBus(EventBus):
    """EventBus whose events reach every worker subscribed to the same Redis channel."""

    def __init__(self, url: str, channel: str = CHANNEL, *, reconnect_seconds: float = 1.0) -> None:
        super().__init__()
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.channel = channel
        self.origin = uuid.uuid4().hex
        self._reconnect = reconnect_seconds
        # Fail fast: a publish must never hold a request up for long while Redis is away.
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=1,
                                           retry=Retry(NoBackoff(), 0), health_check_interval=0)
        self._every: list[tuple[str | None, Handler]] = []
        self._closed = threading.Event()
        self._subscribed = threading.Event()
        self.live = False
        self._thread = threading.Thread(target=self._listen, name="redis-bus", daemon=True)
        self._thread.start()

    def wait_subscribed(self, timeout: float) -> bool:
        """Wait until the listener is subscribed (tests and start-up); return whether it is."""
        return self._subscribed.wait(timeout)

    def on_every_worker(self, name: str | None, handler: Handler) -> None:
        with self._lock:
            self._every.append((name, handler))

    def publish(self, event: Event) -> None:
        self._deliver(event, self._every_handlers(event))
        super().publish(event)
        if not self.live:
            return  # the listener reconnects; subscribers poll meanwhile
        payload = json.dumps({"origin": self.origin, "event": event.name, "conversation_id": event.conversation_id,
                              "at": event.at, "data": event.data}, default=str)
        try:
            self._redis.publish(self.channel, payload)
        except Exception as exc:  # redis.RedisError or a socket error: never fail the domain action
            log.warning("live events degraded: publishing to Redis failed (%s)", exc)

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=5)
        self._redis.close()

    # -- internals ---------------------------------------------------------------------------

    def _every_handlers(self, event: Event) -> list[Handler]:
        with self._lock:
            return [h for n, h in self._every if n is None or n == event.name]

    def _deliver(self, event: Event, handlers: list[Handler]) -> None:
        for handler in handlers:
            try:
                handler(event)
            except Exception:
                log.exception("event handler failed for %s", event.name)

    def _fan_out(self, event: Event) -> None:
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            sub.offer(event)

    def _set_live(self, live: bool) -> None:
        if live == self.live:
            return
        self.live = live
        if live:
            log.info("live events across workers restored (Redis)")
        else:
            log.warning("live events degraded: Redis is unreachable; clients poll until it is back")
        event = Event(events.LIVE_RESTORED if live else events.LIVE_DEGRADED, {})
        # Per-process state hears it too: a worker cut off from the others may have missed events
        # (an erasure: privacy/memory.py forgets every cached text once it is back).
        self._deliver(event, self._every_handlers(event))
        self._fan_out(event)

    def _receive(self, raw: Any) -> None:
        try:
            msg = json.loads(raw)
        except (TypeError, ValueError):
            log.warning("ignoring a malformed message on %s", self.channel)
            return
        if not isinstance(msg, dict) or msg.get("origin") == self.origin or not isinstance(msg.get("event"), str):
            return  # our own event: already delivered locally
        raw_data = msg.get("data")
        data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
        event = Event(msg["event"], data, conversation_id=msg.get("conversation_id"), at=str(msg.get("at") or ""))
        self._deliver(event, self._every_handlers(event))
        self._fan_out(event)

    def _listen(self) -> None:
        while not self._closed.is_set():
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.channel)
                self._set_live(True)
                self._subscribed.set()
                while not self._closed.is_set():
                    msg = pubsub.get_message(timeout=0.5)
                    if msg is not None and msg.get("type") == "message":
                        self._receive(msg["data"])
            except Exception as exc:  # connection refused, reset, timeout: wait and resubscribe
                if self.live:
                    log.warning("Redis subscription lost: %s", exc)
                self._set_live(False)
                self._closed.wait(self._reconnect)
            finally:
                try:
                    pubsub.close()
                except Exception:
                    pass


def channel_for(channel_key: str) -> str:
    """The channel of one desk: pub/sub channels ignore Redis database numbers, so workers of one desk
    (one database, given as channel_key) share a channel and another desk on the same Redis hears none of it."""
    import hashlib

    return f"{CHANNEL}:{hashlib.sha256(channel_key.encode()).hexdigest()[:12]}" if channel_key else CHANNEL


def make_bus(redis_url: str, channel_key: str = "") -> EventBus:
    """The bus for this process: across workers through Redis when a URL is given, else in-process."""
    if not redis_url:
        return EventBus()
    return RedisEventBus(redis_url, channel_for(channel_key))


__all__ = ["CHANNEL", "RedisEventBus", "channel_for", "make_bus"]
