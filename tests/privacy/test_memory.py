"""A running worker's caches of customers' words: each erasure empties them of that customer's, in
every worker (customer.erased), and a worker that was cut off from the others empties them all."""

from __future__ import annotations

from datetime import UTC, datetime

from core.db import Database
from core.embedding import FakeEmbedder
from core.embedding_cache import CachedEmbedder
from core.events import EventBus, events
from core.settings import CoreSettings
from insights.surge import SurgeDetector
from insights.surge_settings import SurgeSettings
from privacy.memory import WorkerMemory, worker_memory
from tests import fakes
from tests.knowledge_base.factories import doc, kb_from

SAID = "my bill is wrong again, ref 4d1e"
OTHER = "my router is blinking"


def caches() -> tuple[CachedEmbedder, SurgeDetector]:
    vectors = CachedEmbedder(FakeEmbedder())
    vectors.encode([SAID, OTHER])
    surge = SurgeDetector(SurgeSettings(), lambda now: {})
    at = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    surge.observe_message("c-1", "billing_question", SAID, at)
    surge.observe_message("c-2", "billing_question", OTHER, at)
    return vectors, surge


def test_worker_memory_forgets_the_erased_customers_texts_on_customer_erased() -> None:
    bus = EventBus()
    vectors, surge = caches()
    memory = WorkerMemory({"text_vectors": vectors, "surge_samples": surge})
    memory.subscribe(bus)
    assert memory.holding([SAID]) == {"text_vectors": 1, "surge_samples": 1}

    bus.emit(events.CUSTOMER_ERASED, None, customer_id="cust-1", texts=[SAID])

    assert memory.holding([SAID]) == {"text_vectors": 0, "surge_samples": 0}
    assert memory.holding([OTHER]) == {"text_vectors": 1, "surge_samples": 1}  # others' stay


def test_worker_memory_empties_every_cache_when_live_events_come_back() -> None:
    bus = EventBus()
    vectors, surge = caches()
    WorkerMemory({"text_vectors": vectors, "surge_samples": surge}).subscribe(bus)
    bus.emit(events.LIVE_RESTORED)  # this worker may have missed an erasure while Redis was gone
    assert (vectors.holding([SAID, OTHER]), surge.holding([SAID, OTHER])) == (0, 0)


def test_worker_memory_collects_the_runtime_caches_it_can_forget(settings: CoreSettings, sqlite_db: Database) -> None:
    kb = kb_from([doc("pay", "Paying your bill", "## Pay\nPay by card or direct debit.")])
    rt = fakes.runtime(settings, sqlite_db, kb=kb)
    rt.extras["escalation_gate"].embedder = CachedEmbedder(FakeEmbedder())
    memory = worker_memory(rt)
    assert sorted(memory.caches) == ["kb_queries", "text_vectors"]  # the fake NLU keeps no cache
    assert rt.extras["memory"] is memory
    kb.search(SAID)
    assert memory.holding([SAID]) == {"text_vectors": 0, "kb_queries": 1}
    rt.bus.emit(events.CUSTOMER_ERASED, None, customer_id="cust-1", texts=[SAID])
    assert memory.holding([SAID]) == {"text_vectors": 0, "kb_queries": 0}
