"""Edit to searchable on the demo knowledge base: a real database, the real model, the real event path.

An admin edit is saved through ArticleRepository, events.ARTICLE_CHANGED is published, the
subscribed KnowledgeBase.sync_article re-indexes that one article, and we poll search until the
new text is found (and check the old text is gone).

--filler N adds N synthetic passages (random vectors, as bench.kb.scale does) beside the demo
articles, so the lexical index's delta path (corpora at or above FIRSTLINE_KB_LEXICAL_SYNC_BELOW)
is measured too; --sync-below overrides that setting for comparison.

Run: nice -n 10 .venv/bin/python -m bench.kb.edit_latency [--filler 5000] [--sync-below 20000]
Writes bench/kb/results/edit_latency.json (or --json PATH).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

ARTICLES = Path(__file__).parents[2] / "knowledge_base" / "articles"
RESULTS = Path(__file__).parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--filler", type=int, default=0, help="synthetic passages added beside the demo articles")
    parser.add_argument("--sync-below", type=int, default=None, help="override lexical_sync_below")
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--json", default=str(RESULTS / "edit_latency.json"))
    args = parser.parse_args(argv)

    import numpy as np

    from bench.kb.scale import synthetic_docs
    from core.db import Database
    from core.embedding import get_embedder
    from core.events import EventBus, events
    from core.machine import machine
    from crm import migrate
    from knowledge_base import ArticleRepository, KBSettings, KnowledgeBase

    tmp = Path(tempfile.mkdtemp())
    db = Database(f"sqlite:///{tmp / 'bench.db'}")
    migrate(db)
    repo = ArticleRepository()
    with db.session() as s:
        repo.import_folder(s, ARTICLES)
    settings = KBSettings(index_dir=tmp / "kb")
    if args.sync_below is not None:
        settings = KBSettings(index_dir=tmp / "kb", lexical_sync_below=args.sync_below)
    kb = KnowledgeBase.open(db, settings, get_embedder("bundled"))
    if args.filler:
        demo = list(kb._searchable_docs().values())
        filler = synthetic_docs(args.filler)
        demo_vecs = kb.index._embed([(e.passage, e.title) for d in demo for e in kb.index._entries_for(d)])
        rng = np.random.default_rng(11)
        fill_vecs = rng.standard_normal((sum(len(kb.index._entries_for(d)) for d in filler), kb.embedder.dim))
        fill_vecs = (fill_vecs / np.linalg.norm(fill_vecs, axis=1, keepdims=True)).astype(np.float32)
        kb.index.build(demo + filler, vectors=np.concatenate([demo_vecs, fill_vecs]))
    bus = EventBus()
    bus.on(events.ARTICLE_CHANGED, lambda e: kb.sync_article(e.data["article_id"]))
    kb.flush()
    times = []
    for n in range(args.edits):
        marker = f"Quokka{n} loyalty discount"
        start = time.perf_counter()
        with db.session() as s:
            repo.update(s, "moving-home", {"body": f"## Discounts\n{marker} applies to moving customers."}, "bench")
        bus.emit(events.ARTICLE_CHANGED, article_id="moving-home")
        while not any(marker in h.text for h in kb.search(marker, k=3)):
            time.sleep(0.001)
        times.append(time.perf_counter() - start)
        assert not any(f"Quokka{n - 1} " in h.text for h in kb.search(f"Quokka{n - 1}", k=10, mode="bm25"))
    kb.index.lexical.wait_compacted()
    out = {"machine": machine(), "articles": len(kb.index.by_article), "passages": len(kb.index.entries),
           "model": kb.embedder.name, "lexical_sync_below": settings.lexical_sync_below,
           "lexical_path": "rebuild" if len(kb.index.entries) < settings.lexical_sync_below else "delta",
           "edit_to_searchable_seconds": {"median": round(statistics.median(times), 3), "max": round(max(times), 3)}}
    print(json.dumps(out, indent=2))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
