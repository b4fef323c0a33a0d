"""An embedder that remembers the vectors of recent short texts.

The escalation policy compares a customer's message with the questions the bot already answered,
twice a turn (before Rasa and after the reply): without a cache, every turn re-encoded the last
four messages twice, about a third of the app's CPU per turn under load (README "Operations").
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import MutableMapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from core.embedding import Embedder
from core.forgetting import Forgetful


class CachedEmbedder(Forgetful):
    """Embedder wrapper: an LRU of text -> vector for batches up to `max_batch` texts."""

    def __init__(self, inner: Embedder, size: int = 4096, max_batch: int = 16) -> None:
        self.inner = inner
        self.size = size
        self.max_batch = max_batch
        self._lru: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

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
                    v = np.array(v, copy=True)
                    v.setflags(write=False)
                    found[t] = v
                    self._lru[t] = v
                    if len(self._lru) > self.size:
                        self._lru.popitem(last=False)
        return np.stack([found[t] for t in texts])

    def _text_cache(self) -> tuple[MutableMapping[str, Any], AbstractContextManager[Any]]:
        return self._lru, self._lock


__all__ = ["CachedEmbedder"]
