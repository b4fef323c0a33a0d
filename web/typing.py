"""Typing signals both ways: throttled, so a fast typist or a hostile client cannot flood the bus."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from core.events import EventBus, events

__all__ = ["TypingSignals"]


class TypingSignals:
    """Emit `typing.started` at most once per interval for each (conversation, who)."""

    def __init__(self, bus: EventBus, interval: float = 2.0, clock: Callable[[], float] = time.monotonic,
                 max_entries: int = 10_000) -> None:
        self.bus = bus
        self.interval = interval
        self.clock = clock
        self.max_entries = max_entries
        self._last: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def started(self, conversation_id: str, *, sender: str, name: str, agent_id: int | None = None) -> bool:
        """Announce that name (a customer or an agent) is typing; False when throttled."""
        key, now = (conversation_id, f"{sender}:{agent_id or ''}"), self.clock()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.interval:
                return False
            if len(self._last) >= self.max_entries:  # forget the stale ones rather than grow without bound
                self._last = {k: t for k, t in self._last.items() if now - t < self.interval}
            self._last[key] = now
        self.bus.emit(events.TYPING_STARTED, conversation_id, name=name, sender=sender, agent_id=agent_id)
        return True
