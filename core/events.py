"""Domain events: every `noun.verb` name lives here, and the bus that carries them.

Side effects (console push, widget push, follow-up scheduling, metrics) subscribe to events;
domain code publishes and never calls them directly. The in-process bus serves one worker; in
production mode (REDIS_URL set) core/redis_bus.py carries the same events across workers.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from core.db import after_commit, utcnow

log = logging.getLogger(__name__)


class events:  # noqa: N801 - a namespace of constants, read as events.MESSAGE_CREATED
    CONVERSATION_STARTED = "conversation.started"
    CONVERSATION_QUEUED = "conversation.queued"  # waiting for a human, bot silent
    CONVERSATION_HANDED_OFF = "conversation.handed_off"  # assigned to a named agent
    CONVERSATION_ACCEPTED = "conversation.accepted"
    CONVERSATION_TRANSFERRED = "conversation.transferred"
    CONVERSATION_HANDED_BACK = "conversation.handed_back"
    CONVERSATION_RESOLVED = "conversation.resolved"
    CONVERSATION_RATED = "conversation.rated"  # the customer's 1-5 after a resolved chat
    CONVERSATION_UPDATED = "conversation.updated"
    MESSAGE_CREATED = "message.created"
    TYPING_STARTED = "typing.started"
    CASE_OPENED = "case.opened"
    CASE_UPDATED = "case.updated"
    DIALOGUE_FAILED = "dialogue.failed"  # Rasa unreachable or too slow
    RETRIEVAL_FAILED = "retrieval.failed"  # the knowledge base had no good answer
    ANSWER_RATED = "answer.rated"  # "Did this help?"
    AGENT_STATUS_CHANGED = "agent.status_changed"
    ARTICLE_CHANGED = "article.changed"
    # identity (issue 10)
    CUSTOMER_VERIFIED = "customer.verified"  # a visitor proved who they are and was merged into the customer
    # privacy (issue 12): every worker drops the erased customer's texts from its caches (privacy/memory.py);
    # the data carries those texts, as message.created carried them, and is never streamed to a client
    CUSTOMER_ERASED = "customer.erased"
    # Promises and their follow-up (issue 10, i10-followup)
    CASE_PROMISED = "case.promised"  # a case got a promise (owner, due time): the scheduler plans it
    CASE_REMINDER_DUE = "case.reminder_due"  # the owner is reminded in the console before the due time
    CASE_OVERDUE = "case.overdue"  # due with no update from a person: the team lead is alerted
    FOLLOWUP_ATTEMPTED = "followup.attempted"  # one attempt recorded on a case (channel, outcome)
    # Surge watch and public channel (issue 11)
    SURGE_STARTED = "surge.started"  # one alert per storm: the intents, counts, baselines and samples
    SURGE_UPDATED = "surge.updated"  # drivers or counts changed while it lasts
    SURGE_ENDED = "surge.ended"  # volume is back to normal
    NOTICE_CHANGED = "notice.changed"  # an admin wrote or cleared the surge notice
    POST_RECEIVED = "post.received"  # a public post became a conversation
    DELIVERY_UPDATED = "delivery.updated"  # an agent's reply on an outbound channel was delivered, or failed
    # production mode (issue 12): the bus tells live subscribers when events across workers stop or
    # resume, so widget and console poll in between (core/redis_bus.py)
    LIVE_DEGRADED = "live.degraded"
    LIVE_RESTORED = "live.restored"
    # production mode: a sentence vector one worker computed, for the other workers' caches (Rasa's
    # action call may land on another worker than the customer's message); never streamed to a client
    TEXT_ENCODED = "text.encoded"
    # issue 14 (console, admin): audited changes
    CANNED_REPLY_CHANGED = "canned_reply.changed"
    STAFF_CHANGED = "staff.changed"
    SETTINGS_CHANGED = "settings.changed"
    GAP_DISMISSED = "gap.dismissed"


@dataclass(frozen=True)
class Event:
    name: str
    data: dict[str, Any]
    conversation_id: str | None = None
    at: str = field(default_factory=lambda: utcnow().isoformat())

    def as_json(self) -> dict[str, Any]:
        return {"event": self.name, "conversation_id": self.conversation_id, "at": self.at, "data": self.data}


Handler = Callable[[Event], None]
LIVE_STATUS = frozenset({events.LIVE_DEGRADED, events.LIVE_RESTORED})  # reach every live subscriber


class _Subscription:
    def __init__(self, loop: asyncio.AbstractEventLoop, predicate: Callable[[Event], bool]) -> None:
        self.loop = loop
        self.predicate = predicate
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=1000)

    def offer(self, event: Event) -> None:
        if event.name not in LIVE_STATUS and not self.predicate(event):
            return

        def put() -> None:
            if self.queue.full():  # a stuck client must not grow memory without bound
                self.queue.get_nowait()
            self.queue.put_nowait(event)

        try:
            self.loop.call_soon_threadsafe(put)
        except RuntimeError:  # loop closed: the client is gone
            pass


class EventBus:
    """In-process publish/subscribe; safe to publish from worker threads."""

    def __init__(self) -> None:
        self._handlers: list[tuple[str | None, Handler]] = []
        self._subs: set[_Subscription] = set()
        self._lock = threading.Lock()

    # False while events published by other workers cannot reach this one (see core/redis_bus.py).
    live = True

    def on(self, name: str | None, handler: Handler) -> None:
        """Call handler synchronously for every event called name (None = all events).

        With several workers this runs once, in the worker that published: domain side effects.
        """
        with self._lock:
            self._handlers.append((name, handler))

    def on_every_worker(self, name: str | None, handler: Handler) -> None:
        """Call handler in every worker for each event called name: for per-process state (caches, indexes)."""
        self.on(name, handler)

    def close(self) -> None:
        """Release what the bus holds (nothing for the in-process bus)."""

    def publish(self, event: Event) -> None:
        with self._lock:
            handlers = [h for n, h in self._handlers if n is None or n == event.name]
            subs = list(self._subs)
        for handler in handlers:
            try:
                handler(event)
            except Exception:  # one failing side effect must not break the domain action
                log.exception("event handler failed for %s", event.name)
        for sub in subs:
            sub.offer(event)

    def emit(self, name: str, conversation_id: str | None = None, /, **data: Any) -> Event:
        """Publish now. name and conversation_id are positional-only, so data may hold any key
        (a typing event's `name` of who is typing once made this a TypeError: issue 14)."""
        event = Event(name=name, data=data, conversation_id=conversation_id)
        self.publish(event)
        return event

    def emit_after_commit(self, session: Session, name: str, conversation_id: str | None = None, /,
                          **data: Any) -> Event:
        """Publish once session commits: listeners re-read the database and must see the change."""
        event = Event(name=name, data=data, conversation_id=conversation_id)
        self.publish_after_commit(session, event)
        return event

    def publish_after_commit(self, session: Session, event: Event) -> None:
        after_commit(session, lambda: self.publish(event))

    async def stream(self, predicate: Callable[[Event], bool]) -> AsyncIterator[Event]:
        """Yield matching events until the consumer stops iterating."""
        sub = _Subscription(asyncio.get_running_loop(), predicate)
        with self._lock:
            self._subs.add(sub)
        if not self.live:  # a client connecting during an outage polls from the start
            sub.offer(Event(events.LIVE_DEGRADED, {}))
        try:
            while True:
                yield await sub.queue.get()
        finally:
            with self._lock:
                self._subs.discard(sub)
