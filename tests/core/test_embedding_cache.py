"""The embedding cache gives exactly the wrapped embedder's vectors and encodes each text once."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.embedding import FakeEmbedder
from core.embedding_cache import CachedEmbedder


class Counting(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []
        self.calls = 0

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        self.calls += 1
        self.seen.extend(texts)
        return super().encode(texts, batch_size)


def test_cached_embedder_same_vectors_each_text_encoded_once() -> None:
    inner = Counting()
    cached = CachedEmbedder(inner, size=3)
    texts = ["my internet is down", "how do I pay", "my internet is down"]
    np.testing.assert_array_equal(cached.encode(texts), FakeEmbedder().encode(texts))
    assert inner.seen == ["my internet is down", "how do I pay"]
    cached.encode(["how do I pay", "new one"])
    assert inner.seen[-1:] == ["new one"]
    assert cached.dim == inner.dim and cached.name == inner.name


def test_cached_embedder_evicts_least_recent_and_skips_big_batches() -> None:
    inner = Counting()
    cached = CachedEmbedder(inner, size=2, max_batch=4)
    cached.encode(["a"])
    cached.encode(["b"])
    cached.encode(["a"])  # a is recent again
    cached.encode(["c"])  # evicts b
    inner.seen.clear()
    cached.encode(["a", "b"])
    assert inner.seen == ["b"]
    cached.encode([f"t{i}" for i in range(5)])
    assert len(cached._lru) == 2  # a batch over max_batch is not kept


def test_cached_embedder_forgets_an_erased_customers_texts_and_nothing_else() -> None:
    inner = Counting()
    cached = CachedEmbedder(inner)
    cached.encode(["my bill is wrong, ref 7f3a", "my router is blinking"])
    assert cached.holding(["My bill is wrong, ref 7F3A"]) == 1
    assert cached.forget(["My bill is wrong, ref 7F3A"]) == 1
    assert cached.holding(["My bill is wrong, ref 7F3A"]) == 0
    assert list(cached._lru) == ["my router is blinking"]
    inner.seen.clear()
    cached.encode(["my bill is wrong, ref 7f3a"])  # encoded afresh: nothing of it was kept
    assert inner.seen == ["my bill is wrong, ref 7f3a"]
    cached.clear()
    assert cached.holding(["my router is blinking"]) == 0 and not cached._lru


class CountingLayers(Counting):
    """Counts forward passes: encode_layers calls (each one pass) and the texts in them."""

    def __init__(self) -> None:
        super().__init__()
        self.passes: list[list[str]] = []

    def encode_layers(self, texts: Sequence[str], layers: Sequence[int], batch_size: int = 64) -> np.ndarray:
        self.passes.append(list(texts))
        return FakeEmbedder.encode_layers(self, texts, layers, batch_size)


def test_encode_layers_remembers_the_text_as_written_from_the_same_pass() -> None:
    inner = CountingLayers()
    cached = CachedEmbedder(inner)
    out = cached.encode_layers(["my wifi keeps dropping"], (3,), remember=["My WiFi keeps dropping!!"])
    # the classifier's rows only, from one pass that also carried the text as written
    assert inner.passes == [["my wifi keeps dropping", "My WiFi keeps dropping!!"]]
    np.testing.assert_array_equal(out, FakeEmbedder().encode_layers(["my wifi keeps dropping"], (3,)))
    inner.seen.clear()
    got = cached.encode(["My WiFi keeps dropping!!"])  # the knowledge base's and the policy's read: no pass
    assert inner.seen == []
    np.testing.assert_array_equal(got, FakeEmbedder().encode(["My WiFi keeps dropping!!"]))

    # a text the classifier reads as it is written rides in its own row; a cached one adds nothing
    cached.encode_layers(["hello"], (3,), remember=["hello"])
    cached.encode_layers(["hi there"], (3,), remember=["My WiFi keeps dropping!!"])
    assert inner.passes[1:] == [["hello"], ["hi there"]]
    assert "hello" in cached._lru
    np.testing.assert_array_equal(cached.encode_layers(["a b"], (3,)), FakeEmbedder().encode_layers(["a b"], (3,)))
    # erasure reaches what was remembered this way too
    assert cached.forget(["my wifi keeps dropping"]) == 1


def test_workers_share_the_vectors_they_compute_over_redis(redis_url: str) -> None:
    """Production mode: worker A parses a customer's message, Rasa's action call for it lands on
    worker B, and B finds the message's vector without a forward pass of its own."""
    import time

    from core.embedding_cache import share_across_workers
    from tests.core.test_redis_bus import _pair

    bus_a, bus_b = _pair(redis_url)
    inner_a, inner_b = CountingLayers(), CountingLayers()
    a, b = CachedEmbedder(inner_a), CachedEmbedder(inner_b)
    share_across_workers(bus_a, a)
    share_across_workers(bus_b, b)
    other_model = CachedEmbedder(FakeEmbedder(dim=32))  # another model's vectors are not adopted
    share_across_workers(bus_b, other_model)
    try:
        a.encode_layers(["my wifi keeps dropping"], (3,), remember=["My WiFi keeps dropping!!"])
        a.encode(["a second text"])
        deadline = time.monotonic() + 5
        while len(b._lru) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        got = b.encode(["My WiFi keeps dropping!!", "a second text"])
        assert inner_b.seen == [] and inner_b.passes == []  # no forward pass on B
        np.testing.assert_array_equal(got, FakeEmbedder().encode(["My WiFi keeps dropping!!", "a second text"]))
        assert not other_model._lru
        # B's own new vector goes back to A; a text A already holds is not replaced
        b.encode(["from b"])
        deadline = time.monotonic() + 5
        while "from b" not in a._lru and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "from b" in a._lru
        # erasure still empties each worker's own cache (the bus stores nothing)
        assert a.forget(["my wifi keeps dropping"]) == 1 and b.forget(["my wifi keeps dropping"]) == 1
    finally:
        bus_a.close()
        bus_b.close()


def test_a_malformed_shared_vector_event_is_ignored() -> None:
    from core.embedding_cache import share_across_workers
    from core.events import Event, EventBus, events

    bus = EventBus()
    cached = CachedEmbedder(FakeEmbedder())
    share_across_workers(bus, cached)
    name = cached.name
    for data in ({"model": name, "texts": ["x"], "vectors": ["%%%not base64"]},
                 {"model": name, "texts": ["x"], "vectors": ["AAAA"]},  # one float, not a 256-d vector
                 {"model": name, "texts": "x", "vectors": []},
                 {"model": name, "texts": ["x", "y"], "vectors": ["AAAA"]}):
        bus.publish(Event(events.TEXT_ENCODED, data))
    assert not cached._lru


def test_without_layer_pools_the_classifier_text_and_the_text_as_written_share_one_batch() -> None:
    from core.embedding import encode_for_classifier

    inner = Counting()
    cached = CachedEmbedder(inner)
    got = encode_for_classifier(cached, ["my wifi keeps dropping"], (), remember=["My WiFi keeps dropping!!"])
    np.testing.assert_array_equal(got, FakeEmbedder().encode(["my wifi keeps dropping"]))
    assert inner.seen == ["my wifi keeps dropping", "My WiFi keeps dropping!!"] and inner.calls == 1
    cached.encode(["My WiFi keeps dropping!!"])
    assert inner.calls == 1
    # a plain embedder is asked for the classifier's text only
    plain = Counting()
    encode_for_classifier(plain, ["hello"], (), remember=["Hello!"])
    assert plain.seen == ["hello"]
