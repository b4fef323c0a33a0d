"""Every worker keeps its in-memory search index current, also after it was cut off from the others."""

from __future__ import annotations

from pathlib import Path

from core.db import Database
from core.embedding import FakeEmbedder
from core.events import EventBus, events
from knowledge_base import ArticleRepository, KnowledgeBase
from tests.knowledge_base.factories import ARTICLES, settings
from web.startup import keep_index_current


def test_worker_back_from_a_redis_outage_catches_up_with_articles_changed_meanwhile(sqlite_db: Database,
                                                                                   tmp_path: Path) -> None:
    with sqlite_db.session() as s:
        assert ArticleRepository().import_folder(s, ARTICLES).errors == []
    kb = KnowledgeBase.open(sqlite_db, settings(tmp_path), FakeEmbedder())
    bus = EventBus()
    keep_index_current(bus, kb)
    with sqlite_db.session() as s:  # edited through another worker while this one heard nothing
        ArticleRepository().update(s, "slow-wifi", {"body": "## Okapi\nOkapi mode explained."}, "maria")
    assert all(h.article_id != "slow-wifi" for h in kb.search("okapi mode", k=3))

    bus.emit(events.LIVE_RESTORED)

    assert kb.search("okapi mode", k=1)[0].article_id == "slow-wifi"
    bus.emit(events.ARTICLE_CHANGED, None, article_id="slow-wifi")  # the usual path still works
