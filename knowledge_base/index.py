"""The passage index: dense (faiss) and lexical (BM25) sides kept in step, article by article."""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.embedding import Embedder
from knowledge_base.dense_index import DenseIndex, choose_kind
from knowledge_base.lexical_index import LexicalIndex
from knowledge_base.passages import Passage, passage_text, split

FORMAT = 3  # 3: dense.faiss holds only the trained, empty IVF index; vectors are added on load


@dataclass(frozen=True)
class ArticleDoc:
    """What the index needs of a searchable article."""

    id: str
    title: str
    body: str
    audience: str
    version: int


@dataclass(frozen=True)
class Entry:
    passage: Passage
    title: str
    audience: str
    version: int


class PassageIndex:
    """Passages of searchable articles; add, replace or remove one article without a rebuild."""

    def __init__(
        self, embedder: Embedder, *, exact_below: int = 20000, nprobe: int = 16, lexical_sync_below: int = 2000
    ) -> None:
        self.embedder = embedder
        self.exact_below = exact_below
        self.nprobe = nprobe
        self.entries: dict[int, Entry] = {}
        self.by_article: dict[str, list[int]] = {}
        self.next_id = 1
        self.dense = DenseIndex(embedder.dim, "exact", nprobe)
        self.lexical = LexicalIndex(lexical_sync_below)
        self.lock = threading.RLock()
        self.build_seconds: dict[str, float] = {}

    @property
    def kind(self) -> str:
        return self.dense.kind

    @property
    def vectors(self) -> dict[int, np.ndarray]:
        return self.dense.vectors

    def _embed(self, rows: list[tuple[Passage, str]]) -> np.ndarray:
        if not rows:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return self.embedder.encode([passage_text(title, p) for p, title in rows])

    def _entries_for(self, doc: ArticleDoc) -> list[Entry]:
        return [Entry(p, doc.title, doc.audience, doc.version) for p in split(doc.id, doc.title, doc.body)]

    def build(self, docs: list[ArticleDoc], vectors: np.ndarray | None = None) -> None:
        """Index docs from scratch; the index type follows the number of passages.

        vectors, when given, are the passages' embeddings in order (benchmarks at scale).
        """
        import time

        t0 = time.perf_counter()
        pending = [e for d in docs for e in self._entries_for(d)]
        vecs = self._embed([(e.passage, e.title) for e in pending]) if vectors is None else vectors
        t1 = time.perf_counter()
        with self.lock:
            self.entries, self.by_article, self.next_id = {}, {}, 1
            ids = []
            for e in pending:
                pid = self._take_id()
                self.entries[pid] = e
                self.by_article.setdefault(e.passage.article_id, []).append(pid)
                ids.append(pid)
            self.dense = DenseIndex(self.embedder.dim, choose_kind(len(ids), self.exact_below), self.nprobe)
            self.dense.build(ids, vecs)
            t2 = time.perf_counter()
            self.lexical.build({pid: (self._lexical_text(e), e.audience) for pid, e in self.entries.items()})
            # Reported by evaluation and the benchmarks: where the build time goes.
            self.build_seconds = {"embed": t1 - t0, "faiss": t2 - t1, "bm25": time.perf_counter() - t2}

    @staticmethod
    def _lexical_text(e: Entry) -> str:
        return passage_text(e.title, e.passage)

    def _take_id(self) -> int:
        pid = self.next_id
        self.next_id += 1
        return pid

    def upsert_article(self, doc: ArticleDoc, *, force: bool = False) -> bool:
        """Replace one article's passages, embedding only that article; return False if doc was older.

        Embedding runs outside the lock (it is the slow part), so two updates of one article can
        finish in either order: an update older than what is indexed is skipped, never installed.
        force installs doc whatever its version (the database was replaced under a saved index).
        """
        fresh = self._entries_for(doc)
        vecs = self._embed([(e.passage, e.title) for e in fresh])
        with self.lock:
            have = self.by_article.get(doc.id)
            if have and not force and self.entries[have[0]].version > doc.version:
                return False
            old = self.by_article.pop(doc.id, [])
            ids = [self._take_id() for _ in fresh]
            for pid in old:
                self.entries.pop(pid, None)
            self.dense.remove(old)
            self.dense.add(ids, vecs)
            self.entries.update(zip(ids, fresh, strict=True))
            if ids:
                self.by_article[doc.id] = ids
            added = {pid: (self._lexical_text(e), e.audience) for pid, e in zip(ids, fresh, strict=True)}
            self.lexical.replace(old, added)
        return True

    def remove_article(self, article_id: str) -> None:
        with self.lock:
            old = self.by_article.pop(article_id, [])
            for pid in old:
                self.entries.pop(pid, None)
            self.dense.remove(old)
            self.lexical.replace(old, {})

    def article_versions(self) -> dict[str, int]:
        with self.lock:
            return {aid: self.entries[ids[0]].version for aid, ids in self.by_article.items() if ids}

    def dense_search(self, qvec: np.ndarray, k: int, groups: set[str] | None = None) -> list[tuple[int, float]]:
        """Return the k best (id, cosine) in groups, widening the search until k are found."""
        with self.lock:
            total = len(self.dense)
            fetch = k if groups is None else k * 4
            while True:
                found = [
                    (pid, s)
                    for pid, s in self.dense.search(qvec, fetch)
                    if pid in self.entries and (groups is None or self.entries[pid].audience in groups)
                ]
                if len(found) >= k or fetch >= total:
                    return found[:k]
                fetch *= 4

    def bm25_search(self, query: str, k: int, groups: set[str] | None = None) -> list[tuple[int, float]]:
        return self.lexical.search(query, k, groups)

    # -- persistence ------------------------------------------------------------------------
    def save(self, folder: Path, meta: dict[str, Any]) -> None:
        """Write index and metadata to folder, replacing what was there as a whole."""
        with self.lock:  # a consistent snapshot of references only: entries and vectors are never mutated
            entries = dict(self.entries)
            vectors = dict(self.dense.vectors)
            state_meta = meta | {"kind": self.kind, "articles": self.article_versions()}
            next_id = self.next_id
            blob = self.dense.serialize()
        state = {
            "format": FORMAT,
            "meta": state_meta,
            "next_id": next_id,
            "entries": [
                [pid, e.passage.id, e.passage.article_id, e.passage.heading, e.passage.text, e.title, e.audience,
                 e.version]
                for pid, e in entries.items()
            ],
        }
        ids = list(vectors)
        vecs = np.stack([vectors[i] for i in ids]) if ids else np.zeros((0, self.embedder.dim))
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        np.save(tmp / "dense_ids.npy", np.asarray(ids, dtype=np.int64))
        np.save(tmp / "dense_vectors.npy", vecs.astype(np.float32))
        if blob is not None:
            (tmp / "dense.faiss").write_bytes(blob)
        (tmp / "index.json").write_text(json.dumps(state))
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)  # a crash between the renames leaves no index: it is rebuilt from the DB
        shutil.rmtree(old, ignore_errors=True)

    def load(self, folder: Path) -> dict[str, Any]:
        """Load a saved index; return its metadata (model, dim, kind, article versions)."""
        state = json.loads((folder / "index.json").read_text())
        if state.get("format") != FORMAT:
            raise ValueError(f"index format {state.get('format')} is not {FORMAT}")
        meta = dict(state["meta"])
        if meta.get("dim") != self.embedder.dim or meta.get("model") != self.embedder.name:
            raise ValueError(f"index was built with {meta.get('model')}/{meta.get('dim')}")
        dense = DenseIndex.load(folder, self.embedder.dim, meta["kind"], self.nprobe)
        entries: dict[int, Entry] = {}
        by_article: dict[str, list[int]] = {}
        for pid, passage_id, aid, heading, text, title, audience, version in state["entries"]:
            entries[pid] = Entry(Passage(passage_id, aid, heading, text), title, audience, version)
            by_article.setdefault(aid, []).append(pid)
        if set(entries) != set(dense.vectors):
            raise ValueError("passages and vectors disagree")
        with self.lock:
            self.entries, self.by_article, self.next_id, self.dense = entries, by_article, state["next_id"], dense
            self.lexical.build({pid: (self._lexical_text(e), e.audience) for pid, e in entries.items()})
        return meta
