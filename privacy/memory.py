"""What a running app worker holds of customers' words in memory, and forgetting an erased customer's.

Each worker keeps caches keyed by what customers wrote: the NLU's parses, the knowledge base's query
vectors, the escalation policy's sentence vectors and the surge watch's samples. An erasure publishes
`customer.erased` with the customer's texts; every worker (through Redis in production mode) drops
the entries that hold them. A worker cut off from Redis may miss that event, so when its live events
come back (`live.restored`) it empties these caches: they refill on the next turns.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any, Protocol

from core.events import Event, EventBus, events

log = logging.getLogger(__name__)


class Forgetful(Protocol):
    """A cache keyed by customers' words (bot.nlu.NLUService, knowledge_base.KnowledgeBase, ...)."""

    def forget(self, texts: Sequence[str]) -> int: ...

    def holding(self, texts: Sequence[str]) -> int: ...

    def clear(self) -> None: ...


class WorkerMemory:
    """This worker's caches of customers' words, by name."""

    def __init__(self, caches: dict[str, Forgetful]) -> None:
        self.caches = caches

    def forget(self, texts: Sequence[str]) -> dict[str, int]:
        """Drop every entry holding one of these texts; return {cache: entries dropped}."""
        return {name: cache.forget(texts) for name, cache in self.caches.items()}

    def holding(self, texts: Sequence[str]) -> dict[str, int]:
        """Return {cache: entries holding one of these texts} (0 everywhere after an erasure)."""
        return {name: cache.holding(texts) for name, cache in self.caches.items()}

    def clear(self) -> None:
        for cache in self.caches.values():
            cache.clear()

    def on_erased(self, event: Event) -> None:
        texts = [t for t in event.data.get("texts") or [] if isinstance(t, str)]
        dropped = self.forget(texts)
        log.info("worker %s forgot an erased customer's cached texts: %s", os.getpid(), dropped)

    def on_live_restored(self, event: Event) -> None:
        self.clear()
        log.info("worker %s emptied its caches of customers' words (an erasure may have been missed)", os.getpid())

    def subscribe(self, bus: EventBus) -> None:
        bus.on_every_worker(events.CUSTOMER_ERASED, self.on_erased)
        bus.on_every_worker(events.LIVE_RESTORED, self.on_live_restored)


def worker_memory(rt: Any) -> WorkerMemory:
    """Collect a started runtime's caches of customers' words (those it has) and subscribe them."""
    gate, watch = rt.extras.get("escalation_gate"), rt.extras.get("surge_watch")
    found: dict[str, Any] = {"nlu_parses": rt.nlu, "kb_queries": rt.kb,
                             # the vectors the knowledge base and the escalation policy share (web/startup.py)
                             "text_vectors": getattr(gate, "embedder", None),
                             "surge_samples": getattr(watch, "detector", None)}
    caches = {name: c for name, c in found.items() if all(hasattr(c, m) for m in ("forget", "holding", "clear"))}
    memory = WorkerMemory(caches)
    memory.subscribe(rt.bus)
    rt.extras["memory"] = memory
    return memory


__all__ = ["Forgetful", "WorkerMemory", "worker_memory"]
