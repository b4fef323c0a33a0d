"""An embedder that remembers the vectors of recent short texts.

The escalation policy compares a customer's message with the questions the bot already answered,
twice a turn (before Rasa and after the reply): without a cache, every turn re-encoded the last
four messages twice, about a third of the app's CPU per turn under load (README "Operations").
"""

from __future__ import annotations

import base64
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, MutableMapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from core.embedding import Embedder
from core.forgetting import Forgetful

log = logging.getLogger(__name__)


class CachedEmbedder(Forgetful):
    """Embedder wrapper: an LRU of text -> vector for batches up to `max_batch` texts."""

    def __init__(self, inner: Embedder, size: int = 4096, max_batch: int = 16) -> None:
        self.inner = inner
        self.size = size
        self.max_batch = max_batch
        self._lru: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        # called with the vectors this process computed (share_across_workers); None: keep them here
        self.on_new: Callable[[dict[str, np.ndarray]], None] | None = None

    def __getattr__(self, name: str) -> Any:  # name, dim and the rest come from the real embedder
        return getattr(self.inner, name)

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if len(texts) > self.max_batch:  # indexing and training: nothing worth keeping
            return self.inner.encode(texts, batch_size=batch_size)
        with self._lock:
            found = {t: self._lru[t] for t in texts if t in self._lru}
            for t in found:
                self._lru.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            vecs = self.inner.encode(missing, batch_size=batch_size)
            with self._lock:
                for t, v in zip(missing, vecs, strict=True):
                    found[t] = self._keep(t, v)
            self._announce({t: found[t] for t in missing})
        return np.stack([found[t] for t in texts])

    def encode_layers(self, texts: Sequence[str], layers: Sequence[int], batch_size: int = 64, *,
                      remember: Sequence[str] = ()) -> np.ndarray:
        """The wrapped embedder's encode_layers (not cached: the parser keeps its own parse cache).

        `remember`: texts to encode in the same forward pass and keep in this cache, as encode() would
        give them. The parser reads a message lower-cased and stripped of loose punctuation while the
        knowledge base and the escalation policy read it as written; one batched pass gives both for
        about the price of one (README "Operations": one MiniLM pass fewer per new message)."""
        with self._lock:
            wanted = [t for t in dict.fromkeys(remember) if t not in self._lru]
        if not wanted:
            return self.inner.encode_layers(texts, layers, batch_size=batch_size)  # type: ignore[attr-defined]
        extra = [t for t in wanted if t not in texts]
        out = np.asarray(self.inner.encode_layers([*texts, *extra], layers,  # type: ignore[attr-defined]
                                                  batch_size=batch_size))
        dim = out.shape[1] // (1 + len(layers))  # the first dim columns are encode()'s vector
        row = {t: i for i, t in enumerate([*texts, *extra])}
        with self._lock:
            kept = {t: self._keep(t, out[row[t], :dim]) for t in wanted}
        self._announce(kept)
        return out[:len(texts)]

    def has(self, text: str) -> bool:
        """True when this text's vector is kept (a hint: another thread may change it at once)."""
        return text in self._lru

    def adopt(self, vectors: dict[str, np.ndarray]) -> None:
        """Keep vectors another worker computed (the same model: see share_across_workers)."""
        with self._lock:
            for t, v in vectors.items():
                if t not in self._lru and v.shape == (self.inner.dim,):
                    self._keep(t, v)

    def _announce(self, vectors: dict[str, np.ndarray]) -> None:
        if self.on_new is not None and vectors:
            try:
                self.on_new(vectors)
            except Exception:  # sharing is an optimisation: never fail the encode
                log.exception("sharing new text vectors failed")

    def _keep(self, text: str, vec: np.ndarray) -> np.ndarray:
        """Store one vector (callers hold the lock); return the stored, read-only copy."""
        v = np.array(vec, copy=True)
        v.setflags(write=False)
        self._lru[text] = v
        if len(self._lru) > self.size:
            self._lru.popitem(last=False)
        return v

    def _text_cache(self) -> tuple[MutableMapping[str, Any], AbstractContextManager[Any]]:
        return self._lru, self._lock


def share_across_workers(bus: Any, cached: CachedEmbedder) -> None:
    """Production mode: each worker tells the others the vectors it computed, over the event bus.

    A customer's message is parsed (and its vector kept) by the worker that took the request, and
    Rasa's action call for it lands on any worker: without this, half of those calls encoded the
    message again (README "Operations"). The bus is Redis pub/sub, which stores nothing: erasure
    still only has each worker's own cache to empty. The event is published before the message goes
    to Rasa, so it is there before the action call in all but a race, which costs one encode."""
    from core.events import Event, events

    name = cached.name

    def publish(vectors: dict[str, np.ndarray]) -> None:
        packed = [base64.b64encode(np.asarray(v, dtype=np.float32).tobytes()).decode() for v in vectors.values()]
        data = {"model": name, "texts": list(vectors), "vectors": packed}
        bus.publish(Event(events.TEXT_ENCODED, data))

    def adopt(event: Any) -> None:
        data = event.data
        texts, vectors = data.get("texts"), data.get("vectors")
        if data.get("model") != name or not isinstance(texts, list) or not isinstance(vectors, list):
            return
        try:
            pairs = list(zip(texts, vectors, strict=True))
            # The publishing worker hears its own event first, with every vector already kept: decode
            # only what this worker lacks.
            got = {t: np.frombuffer(base64.b64decode(v), dtype=np.float32) for t, v in pairs
                   if isinstance(t, str) and isinstance(v, str) and not cached.has(t)}
        except (ValueError, TypeError):
            log.warning("ignoring a malformed %s event", events.TEXT_ENCODED)
            return
        if got:
            cached.adopt(got)

    cached.on_new = publish
    bus.on_every_worker(events.TEXT_ENCODED, adopt)


__all__ = ["CachedEmbedder", "share_across_workers"]
