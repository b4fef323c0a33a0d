"""The lexical side: BM25 (bm25s) over passage texts, kept current without a full rebuild per edit.

bm25s builds an immutable index, and rebuilding 100,000 passages takes seconds. So, like a
Lucene segment merge: a large "main" index, a small "delta" index holding passages added since
the last compaction, and a per-position liveness mask that hides removed passages at once.
Compaction (a full rebuild) runs in the caller's thread for small corpora and in a background
thread for large ones. Until it runs, delta scores use the delta's own IDF statistics: ranks stay
sensible, scores are approximate, and nothing stale is ever returned.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

STOPWORDS = "en"


def tokenize_query(text: str) -> list[str]:
    """Return the query's tokens as the index saw its passages' tokens."""
    import bm25s

    return list(bm25s.tokenize([text], stopwords=STOPWORDS, return_ids=False, show_progress=False)[0])


@dataclass
class _Segment:
    retriever: object
    ids: np.ndarray  # position -> passage id
    groups: np.ndarray  # position -> group (audience)
    alive: np.ndarray  # position -> 1.0 live, 0.0 removed since the build
    pos: dict[int, int]
    _masks: dict[frozenset[str], np.ndarray] = field(default_factory=dict)

    def mask(self, groups: frozenset[str] | None) -> np.ndarray:
        if groups is None:
            return self.alive
        if groups not in self._masks:
            self._masks[groups] = np.isin(self.groups, list(groups)).astype(np.float32)
        return self.alive * self._masks[groups]


def _build(docs: dict[int, tuple[str, str]]) -> _Segment | None:
    import bm25s

    if not docs:
        return None
    ids = list(docs)
    retriever = bm25s.BM25()
    tokens = bm25s.tokenize([docs[i][0] for i in ids], stopwords=STOPWORDS, show_progress=False)
    retriever.index(tokens, show_progress=False)
    return _Segment(
        retriever,
        np.asarray(ids, dtype=np.int64),
        np.asarray([docs[i][1] for i in ids], dtype=object),
        np.ones(len(ids), dtype=np.float32),
        {pid: n for n, pid in enumerate(ids)},
    )


def _query(seg: _Segment | None, tokens: list[str], k: int, groups: frozenset[str] | None) -> list[tuple[int, float]]:
    if seg is None or k <= 0:
        return []
    ids = seg.retriever.get_tokens_ids(tokens)  # type: ignore[attr-defined]
    if not ids:
        return []
    mask = seg.mask(groups)
    scores = seg.retriever.get_scores(ids, weight_mask=mask)  # type: ignore[attr-defined]
    # Select among the passages that share a word: bm25s's own top-k runs numpy's argpartition over
    # every passage, which on 100,000 mostly-zero scores took ~15 ms against ~1 ms for real values.
    hits = np.flatnonzero(scores > 0)
    if len(hits) > k:
        hits = hits[np.argpartition(scores[hits], -k)[-k:]]
    best = hits[np.argsort(-scores[hits], kind="stable")]
    return [(int(seg.ids[d]), float(scores[d])) for d in best]


class LexicalIndex:
    """BM25 over (passage id -> text, group); thread-safe."""

    def __init__(self, sync_below: int = 2000) -> None:
        self.sync_below = sync_below
        self._docs: dict[int, tuple[str, str]] = {}
        self._main: _Segment | None = None
        self._delta: _Segment | None = None
        self._lock = threading.RLock()
        self._compactor: threading.Thread | None = None
        self._dirty = False

    def __len__(self) -> int:
        return len(self._docs)

    def build(self, docs: dict[int, tuple[str, str]]) -> None:
        """Index docs from scratch, synchronously."""
        with self._lock:
            self._docs = dict(docs)
            self._main, self._delta = _build(self._docs), None

    def replace(self, remove: list[int], add: dict[int, tuple[str, str]]) -> None:
        """Hide removed passages and make added ones searchable before returning."""
        with self._lock:
            for pid in remove:
                self._docs.pop(pid, None)
                for seg in (self._main, self._delta):
                    if seg is not None and pid in seg.pos:
                        seg.alive[seg.pos[pid]] = 0.0
            self._docs.update(add)
            if len(self._docs) < self.sync_below:
                self._main, self._delta = _build(self._docs), None
                return
            main_ids = self._main.pos if self._main is not None else {}
            self._delta = _build({i: d for i, d in self._docs.items() if i not in main_ids})
        self._schedule_compaction()

    def _schedule_compaction(self) -> None:
        with self._lock:
            self._dirty = True
            if self._compactor is None:
                self._compactor = threading.Thread(target=self._compact_loop, name="bm25-compaction", daemon=True)
                self._compactor.start()

    def _compact_loop(self) -> None:
        while True:
            with self._lock:
                if not self._dirty:  # decided under the lock, so no change is left uncompacted
                    self._compactor = None
                    return
                self._dirty = False
                snapshot = dict(self._docs)
            main = _build(snapshot)  # the slow part, outside the lock
            with self._lock:
                if main is not None:
                    for pid, n in main.pos.items():
                        if pid not in self._docs:  # removed while we were building
                            main.alive[n] = 0.0
                self._main = main
                self._delta = _build({i: d for i, d in self._docs.items() if i not in snapshot})

    def wait_compacted(self, timeout: float | None = None) -> None:
        """Block until background compaction has finished (benchmarks, tests, shutdown)."""
        with self._lock:
            t = self._compactor
        if t is not None:
            t.join(timeout)

    def search(self, query: str, k: int, groups: set[str] | None = None) -> list[tuple[int, float]]:
        """Return (id, BM25 score) pairs with a positive score, best first."""
        tokens = tokenize_query(query)
        if not tokens:
            return []
        g = frozenset(groups) if groups is not None else None
        with self._lock:
            hits = _query(self._main, tokens, k, g) + _query(self._delta, tokens, k, g)
        hits.sort(key=lambda h: -h[1])
        return hits[:k]
