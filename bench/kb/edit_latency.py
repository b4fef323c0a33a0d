"""Edit to searchable on the demo knowledge base: a real database, the real model, the real event path.

An admin edit is saved through ArticleRepository, events.ARTICLE_CHANGED is published, the
subscribed KnowledgeBase.sync_article re-indexes that one article, and we poll search until the
new text is found (and check the old text is gone).

Run: nice -n 10 .venv/bin/python -m bench.kb.edit_latency
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

ARTICLES = Path(__file__).parents[2] / "knowledge_base" / "articles"


def main() -> int:
    from core.db import Database
    from core.embedding import get_embedder
    from core.events import EventBus, events
    from crm import migrate
    from knowledge_base import ArticleRepository, KBSettings, KnowledgeBase

    tmp = Path(tempfile.mkdtemp())
    db = Database(f"sqlite:///{tmp / 'bench.db'}")
    migrate(db)
    repo = ArticleRepository()
    with db.session() as s:
        repo.import_folder(s, ARTICLES)
    kb = KnowledgeBase.open(db, KBSettings(index_dir=tmp / "kb"), get_embedder("bundled"))
    bus = EventBus()
    bus.on(events.ARTICLE_CHANGED, lambda e: kb.sync_article(e.data["article_id"]))
    times = []
    for n in range(10):
        marker = f"Quokka{n} loyalty discount"
        start = time.perf_counter()
        with db.session() as s:
            repo.update(s, "moving-home", {"body": f"## Discounts\n{marker} applies to moving customers."}, "bench")
        bus.emit(events.ARTICLE_CHANGED, article_id="moving-home")
        while not any(marker in h.text for h in kb.search(marker, k=3)):
            time.sleep(0.001)
        times.append(time.perf_counter() - start)
        assert not any(f"Quokka{n - 1} " in h.text for h in kb.search(f"Quokka{n - 1}", k=10, mode="bm25"))
    out = {"articles": len(kb.index.by_article), "passages": len(kb.index.entries), "model": kb.embedder.name,
           "edit_to_searchable_seconds": {"median": round(statistics.median(times), 3), "max": round(max(times), 3)}}
    print(json.dumps(out, indent=2))
    (Path(__file__).parent / "results").mkdir(exist_ok=True)
    (Path(__file__).parent / "results" / "edit_latency.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
