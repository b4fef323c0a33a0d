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

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
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
