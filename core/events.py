"""Domain events: every `noun.verb` name lives here, and the bus that carries them.

Side effects (console push, widget push, follow-up scheduling, metrics) subscribe to events;
domain code publishes and never calls them directly. The in-process bus serves one worker; a
Redis-backed bus with the same interface is the seam for multi-worker production mode.
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


class _Subscription:
    def __init__(self, loop: asyncio.AbstractEventLoop, predicate: Callable[[Event], bool]) -> None:
        self.loop = loop
        self.predicate = predicate
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=1000)

    def offer(self, event: Event) -> None:
        if not self.predicate(event):
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

    def on(self, name: str | None, handler: Handler) -> None:
        """Call handler synchronously for every event called name (None = all events)."""
        with self._lock:
            self._handlers.append((name, handler))

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
        try:
            while True:
                yield await sub.queue.get()
        finally:
            with self._lock:
                self._subs.discard(sub)
