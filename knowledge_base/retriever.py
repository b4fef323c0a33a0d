"""The knowledge base as the bot sees it: hybrid search with calibrated scores, and answers."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import MutableMapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.db import Database
from core.embedding import Embedder
from core.forgetting import Forgetful
from knowledge_base.answering import Answer, Hit, decide
from knowledge_base.calibration import features, probability
from knowledge_base.dense_index import choose_kind
from knowledge_base.fusion import reciprocal_rank_fusion
from knowledge_base.index import ArticleDoc, PassageIndex
from knowledge_base.settings import KBSettings

log = logging.getLogger(__name__)
MODES = ("hybrid", "dense", "bm25")
SEGMENTS = ("residential", "business")


def audiences(segment: str) -> set[str]:
    """Return the article audiences a customer segment may see.

    The CRM stores the segment as free text; an unknown one (a typo, a new segment nobody wrote
    articles for yet) sees only articles for everyone rather than failing the conversation.
    """
    seg = segment.strip().lower()
    if seg in SEGMENTS:
        return {"all", seg}
    log.info("unknown customer segment %r: answering from articles for everyone only", segment[:40])
    return {"all"}


@dataclass
class Candidates:
    """Both retrievers' raw results for one query, before fusion (evaluation tunes fusion on these)."""

    qvec: np.ndarray | None
    dense: list[tuple[int, float]]
    bm25: list[tuple[int, float]]


class KnowledgeBase(Forgetful):
    """One per process; thread-safe. The index persists under settings.index_dir."""

    def __init__(self, db: Database | None, embedder: Embedder, settings: KBSettings, folder: Path | None) -> None:
        self.db = db
        self.embedder = embedder
        self.settings = settings
        self.folder = folder
        self.index = PassageIndex(
            embedder,
            exact_below=settings.exact_below,
            nprobe=settings.ivf_nprobe,
            lexical_sync_below=settings.lexical_sync_below,
        )
        self._save_lock = threading.Lock()
        self._saver: threading.Thread | None = None
        self._save_pending = False
        self._write_lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._query_lock = threading.Lock()
        self._article_locks: dict[str, threading.Lock] = {}
        self._article_locks_guard = threading.Lock()

    # -- building and keeping current ----------------------------------------------------------
    @classmethod
    def open(cls, db: Database, settings: KBSettings | None = None, embedder: Embedder | None = None) -> KnowledgeBase:
        """Load the saved index (or build it) and bring it in line with the database's published articles."""
        from core.embedding import get_embedder
        from core.settings import get_settings

        settings = settings or KBSettings()
        embedder = embedder or get_embedder()
        folder = settings.index_dir or get_settings().data_dir / "kb"
        kb = cls(db, embedder, settings, folder)
        loaded = False
        if (folder / "index.json").exists():
            try:
                kb.index.load(folder)
                loaded = True
            except Exception:  # a damaged or foreign index is rebuilt, never served
                log.warning("knowledge base index in %s is unusable; rebuilding", folder, exc_info=True)
        docs = kb._searchable_docs()
        n_passages = len(kb.index.entries)
        if not loaded or choose_kind(n_passages, settings.exact_below) != kb.index.kind:
            kb.index.build(list(docs.values()))
            kb.flush()
        else:
            kb.sync_all(docs)
        return kb

    @classmethod
    def from_articles(
        cls, docs: list[ArticleDoc], embedder: Embedder, settings: KBSettings | None = None
    ) -> KnowledgeBase:
        """Build an in-memory index without a database (evaluation, tests)."""
        kb = cls(None, embedder, settings or KBSettings(), None)
        kb.index.build(docs)
        return kb

    def _searchable_docs(self, article_id: str | None = None) -> dict[str, ArticleDoc]:
        from sqlalchemy import select

        from knowledge_base.models import Article

        assert self.db is not None
        q = select(Article).where(Article.status == "published", Article.deleted_at.is_(None))
        if article_id is not None:
            q = q.where(Article.id == article_id)
        with self.db.session() as s:
            return {a.id: ArticleDoc(a.id, a.title, a.body, a.audience, a.version) for a in s.scalars(q)}

    def sync_all(self, docs: dict[str, ArticleDoc] | None = None) -> int:
        """Re-index the articles whose version differs from the database; return how many changed."""
        docs = self._searchable_docs() if docs is None else docs
        have = self.index.article_versions()
        changed = sorted(aid for aid in set(docs) | set(have) if (docs[aid].version if aid in docs else None)
                         != have.get(aid))
        for aid in changed:  # the database is the truth here, even if it went back in versions
            with self._article_lock(aid):
                self._apply(aid, docs.get(aid), force=True)
        if changed:
            self.save_soon()
        return len(changed)

    def sync_article(self, article_id: str) -> None:
        """Re-index one article after it was created, edited, (un)published, deleted or restored.

        Syncs of one article run one at a time and each reads the database inside its turn, so
        the last to run installs the latest committed text (two quick edits cannot end stale).
        """
        with self._article_lock(article_id):
            self._apply(article_id, self._searchable_docs(article_id).get(article_id))
        self.save_soon()

    def _article_lock(self, article_id: str) -> threading.Lock:
        with self._article_locks_guard:
            return self._article_locks.setdefault(article_id, threading.Lock())

    def _apply(self, article_id: str, doc: ArticleDoc | None, force: bool = False) -> None:
        if doc is None:
            self.index.remove_article(article_id)
        else:
            self.index.upsert_article(doc, force=force)

    def save_soon(self) -> None:
        """Persist now for small indexes; in a background thread for large ones (saving 100k takes seconds)."""
        if self.folder is None:
            return
        if len(self.index.entries) < self.settings.save_sync_below:
            self.flush()
            return
        with self._save_lock:
            self._save_pending = True
            if self._saver is None:
                self._saver = threading.Thread(target=self._save_loop, name="kb-save", daemon=True)
                self._saver.start()

    def _save_loop(self) -> None:
        while True:
            with self._save_lock:
                if not self._save_pending:
                    self._saver = None
                    return
                self._save_pending = False
            self.flush()

    def flush(self) -> None:
        """Write the index to its folder now."""
        if self.folder is not None:
            # Two writers would share the temporary folder: threads of this process, and in production
            # mode the other app workers, which re-index the same article (a file lock across processes).
            import fcntl

            self.folder.parent.mkdir(parents=True, exist_ok=True)
            with self._write_lock, open(self.folder.parent / f".{self.folder.name}.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                self.index.save(self.folder, {"model": self.embedder.name, "dim": self.embedder.dim})

    # -- searching --------------------------------------------------------------------------------
    def candidates(self, query: str, *, segment: str | None = "residential", mode: str = "hybrid",
                   pool: int | None = None) -> Candidates:
        """Return each retriever's raw results (segment None: every audience)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        pool = pool or self.settings.pool
        groups = None if segment is None else audiences(segment)
        if not query.strip():
            return Candidates(None, [], [])
        if mode == "bm25":
            return Candidates(None, [], self.index.bm25_search(query, pool, groups))
        # BM25 runs beside the query encoding (torch releases the GIL): at 100,000 passages its
        # 1-3 ms would otherwise add to the encoding's, and the hybrid p95 has little margin.
        lexical = self._pool().submit(self.index.bm25_search, query, pool, groups) if mode == "hybrid" else None
        qvec = self.encode_query(query)
        dense = self.index.dense_search(qvec, pool, groups)
        return Candidates(qvec, dense, lexical.result() if lexical is not None else [])

    def encode_query(self, query: str) -> np.ndarray:
        """Return the query's vector, from a small cache: encoding is most of a search's time, and
        the same text is often searched again at once (answer and try-a-question run several modes).
        """
        size = self.settings.query_cache_size
        if size <= 0:
            return self.embedder.encode([query])[0]
        with self._query_lock:
            hit = self._query_cache.get(query)
            if hit is not None:
                self._query_cache.move_to_end(query)
                return hit
        vec = self.embedder.encode([query])[0]
        vec.setflags(write=False)  # shared by every search of this text
        with self._query_lock:
            self._query_cache[query] = vec
            while len(self._query_cache) > size:
                self._query_cache.popitem(last=False)
        return vec

    def _text_cache(self) -> tuple[MutableMapping[str, Any], AbstractContextManager[Any]]:
        return self._query_cache, self._query_lock

    def _pool(self) -> ThreadPoolExecutor:
        with self._save_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kb-bm25")
            return self._executor

    def rank(self, c: Candidates, *, mode: str = "hybrid", k: int | None = None, dense_weight: float | None = None,
             bm25_weight: float | None = None, rrf_k: int | None = None,
             calibration: dict[str, list[float]] | None = None) -> list[Hit]:
        """Fuse candidates into calibrated hits, best first (keyword arguments override settings)."""
        s = self.settings
        k = k or s.k
        if mode == "dense":
            order = [pid for pid, _ in c.dense]
        elif mode == "bm25":
            order = [pid for pid, _ in c.bm25]
        else:
            lists = [(s.dense_weight if dense_weight is None else dense_weight, [p for p, _ in c.dense]),
                     (s.bm25_weight if bm25_weight is None else bm25_weight, [p for p, _ in c.bm25])]
            order = [pid for pid, _ in reciprocal_rank_fusion(lists, s.rrf_k if rrf_k is None else rrf_k)]
        coef = (calibration or s.calibration)[mode]
        cosines, bm25 = dict(c.dense), dict(c.bm25)
        hits: list[Hit] = []
        with self.index.lock:
            for pid in order:
                e = self.index.entries.get(pid)
                if e is None:  # removed by a concurrent edit
                    continue
                cos = cosines.get(pid)
                if cos is None:
                    cos = self.index.dense.cosine(c.qvec, pid) if c.qvec is not None else 0.0
                lex = bm25.get(pid, 0.0)
                rank = len(hits) + 1
                p = e.passage
                hits.append(Hit(p.id, p.article_id, e.title, p.heading, p.text, f"/kb/{p.article_id}",
                                round(probability(coef, features(mode, cos, lex, rank)), 4), round(cos, 4),
                                round(lex, 4), rank))
                if len(hits) == k:
                    break
        return hits

    def search(self, query: str, *, segment: str | None = "residential", k: int | None = None,
               mode: str = "hybrid") -> list[Hit]:
        """Return the best passages the segment may see (published, audience all or segment), best first."""
        from knowledge_base.rerank import rerank

        s = self.settings
        hits = self.rank(self.candidates(query, segment=segment, mode=mode), mode=mode,
                         k=max(k or s.k, s.rerank_depth))
        return rerank(query, hits, s.rerank_type_weight, s.rerank_heading_weight, s.rerank_depth)[: k or s.k]

    def answer(self, query: str, *, segment: str | None = "residential", mode: str = "hybrid") -> Answer:
        """Answer from the best passage, ask which of two close topics, or signal that retrieval failed."""
        s = self.settings
        hits = self.search(query, segment=segment, k=max(s.k, 10), mode=mode)
        return decide(hits, s.answer_threshold, s.clarify_margin, s.answer_chars)

    def stats(self) -> dict[str, object]:
        return {"passages": len(self.index.entries), "articles": len(self.index.by_article), "index": self.index.kind,
                "model": self.embedder.name}

