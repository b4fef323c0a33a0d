from __future__ import annotations

import threading
from pathlib import Path

import pytest

from core.db import Database
from core.embedding import FakeEmbedder
from knowledge_base import ArticleRepository, KnowledgeBase
from knowledge_base.answering import plain_text
from knowledge_base.passages import passage_text
from tests.knowledge_base.factories import CountingEmbedder, doc, kb_from, settings


def corpus(n: int = 40) -> list:
    return [doc(f"a{i}", f"Title {i}", f"## S\nword{i} common text number {i} about topic{i % 3}\n\n## T\nother{i}")
            for i in range(n)]


def test_dense_search_matches_brute_force_oracle_over_all_passages() -> None:
    kb = kb_from(corpus())
    pids = list(kb.index.entries)
    texts = [passage_text(kb.index.entries[p].title, kb.index.entries[p].passage) for p in pids]
    vecs = FakeEmbedder().encode(texts)
    for q in ("topic1 common word4", "other7", "number 12 about"):
        qv = FakeEmbedder().encode([q])[0]
        exact = {kb.index.entries[p].passage.id: float(v @ qv) for p, v in zip(pids, vecs, strict=True)}
        hits = kb.search(q, segment=None, k=10, mode="dense")
        # the same top-10 scores as an exact scan of every passage, each hit scored by its true cosine
        assert [h.dense_score for h in hits] == pytest.approx(sorted(exact.values(), reverse=True)[:10], abs=1e-4)
        assert all(h.dense_score == pytest.approx(exact[h.passage_id], abs=1e-4) for h in hits)


def test_hybrid_search_fuses_both_retrievers_and_calibrates() -> None:
    kb = kb_from(corpus())
    hits = kb.search("word5 other5", segment=None, k=3)
    assert hits[0].article_id == "a5" and [h.rank for h in hits] == [1, 2, 3]
    assert all(0.0 <= h.score <= 1.0 for h in hits) and hits[0].bm25_score > 0


def test_search_filters_by_segment() -> None:
    kb = kb_from([doc("biz", "Business support", "## SLA\nbusiness fault response four hours", "business"),
                  doc("home", "Home support", "## Help\nhome fault response", "residential"),
                  doc("both", "Fault basics", "## Any\nfault response for everyone", "all")])
    for mode in ("hybrid", "dense", "bm25"):
        assert {h.article_id for h in kb.search("fault response", segment="residential", mode=mode)} == {"home", "both"}
        assert {h.article_id for h in kb.search("fault response", segment="business", mode=mode)} == {"biz", "both"}


def test_search_rare_segment_is_found_beyond_the_first_candidates() -> None:
    docs = [doc(f"r{i}", f"Router {i}", "## X\nrouter fault lights", "residential") for i in range(200)]
    kb = kb_from([*docs, doc("biz", "Business router", "## X\nrouter fault lights", "business")])
    assert [h.article_id for h in kb.search("router fault", segment="business", mode="dense", k=5)] == ["biz"]


def test_search_rejects_unknown_mode() -> None:
    kb = kb_from(corpus(2))
    with pytest.raises(ValueError, match="mode must be one of hybrid, dense, bm25"):
        kb.search("x", mode="magic")


def test_search_unknown_segment_sees_only_articles_for_everyone() -> None:
    kb = kb_from([doc("all-a", "Router", "## S\nzebra router"),
                  doc("biz", "Router biz", "## S\nzebra router", "business"),
                  doc("home", "Router home", "## S\nzebra router", "residential")])
    assert {h.article_id for h in kb.search("zebra router", segment="Martian Enterprise")} == {"all-a"}
    assert {h.article_id for h in kb.search("zebra router", segment=" Business ")} == {"all-a", "biz"}
    a = kb.answer("zebra router", segment="")
    assert (a.kind, a.article_id) == ("answer", "all-a")


def test_search_empty_query_returns_nothing() -> None:
    assert kb_from(corpus(2)).search("   ") == []


def test_answer_threshold_unmet_is_no_answer() -> None:
    kb = kb_from([doc("a", "Router", "## Restart\nswitch the router off and on")], answer_threshold=0.99)
    assert kb.answer("banana bread recipe").kind == "no_answer"


def test_answer_on_demo_articles_names_article_and_link(demo_db: Database, tmp_path: Path) -> None:
    kb = KnowledgeBase.open(demo_db, settings(tmp_path, clarify_margin=0.0), FakeEmbedder())
    a = kb.answer("forgot password reset link email")
    assert (a.kind, a.article_id, a.url) == ("answer", "reset-password", "/kb/reset-password")
    assert 0 < len(a.text) <= 450
    top = max((h for h in a.candidates if h.article_id == a.article_id), key=lambda h: h.score)
    assert plain_text(top.text).startswith(a.text.removesuffix("…"))  # the best passage's leading sentences


def test_kb_follows_edit_unpublish_delete_and_restore_incrementally(demo_db: Database, tmp_path: Path) -> None:
    repo, embedder = ArticleRepository(), CountingEmbedder()
    kb = KnowledgeBase.open(demo_db, settings(tmp_path), embedder)
    built, before = embedder.texts, len(kb.index.entries)
    with demo_db.session() as s:
        repo.update(s, "moving-home", {"body": "## Zebra\nZebra crossing quokka policy."}, "maria")
    kb.sync_article("moving-home")
    assert embedder.texts == built + 1 + 0  # only the edited article's one passage was embedded
    assert kb.search("zebra quokka", k=1)[0].article_id == "moving-home"
    assert [h for h in kb.search("moving house notice weeks", k=50, mode="bm25") if h.article_id == "moving-home"
            and "Zebra" not in h.text] == []
    with demo_db.session() as s:
        repo.unpublish(s, "moving-home", "maria")
    kb.sync_article("moving-home")
    assert "moving-home" not in {h.article_id for h in kb.search("zebra quokka", k=50)}
    with demo_db.session() as s:
        repo.publish(s, "moving-home", "maria")
        repo.delete(s, "outage-check", "maria")
    kb.sync_article("moving-home")
    kb.sync_article("outage-check")
    assert "outage-check" not in kb.index.by_article and "moving-home" in kb.index.by_article
    assert len(kb.index.entries) < before
    with demo_db.session() as s:
        repo.restore_deleted(s, "outage-check", "maria")
    kb.sync_article("outage-check")
    assert "outage-check" in kb.index.by_article


def test_open_reloads_saved_index_without_embedding_again(demo_db: Database, tmp_path: Path) -> None:
    first = KnowledgeBase.open(demo_db, settings(tmp_path), FakeEmbedder())
    embedder = CountingEmbedder()
    again = KnowledgeBase.open(demo_db, settings(tmp_path), embedder)
    assert embedder.texts == 0
    assert again.index.article_versions() == first.index.article_versions()
    assert again.search("router lights", k=3) == first.search("router lights", k=3)


def test_open_catches_up_with_changes_made_while_closed(demo_db: Database, tmp_path: Path) -> None:
    KnowledgeBase.open(demo_db, settings(tmp_path), FakeEmbedder())
    with demo_db.session() as s:
        ArticleRepository().update(s, "slow-wifi", {"body": "## Okapi\nOkapi mode explained."}, "maria")
    embedder = CountingEmbedder()
    kb = KnowledgeBase.open(demo_db, settings(tmp_path), embedder)
    assert embedder.texts == 1 and kb.search("okapi mode", k=1)[0].article_id == "slow-wifi"


def test_open_rebuilds_an_index_from_another_model_or_a_damaged_one(demo_db: Database, tmp_path: Path) -> None:
    KnowledgeBase.open(demo_db, settings(tmp_path), FakeEmbedder(dim=128))
    embedder = CountingEmbedder()
    kb = KnowledgeBase.open(demo_db, settings(tmp_path), embedder)
    assert embedder.texts == len(kb.index.entries) > 0
    (tmp_path / "kb" / "index.json").write_text("{not json")
    embedder.texts = 0
    KnowledgeBase.open(demo_db, settings(tmp_path), embedder)
    assert embedder.texts == len(kb.index.entries)


def test_index_type_follows_corpus_size() -> None:
    assert kb_from(corpus(10)).index.kind == "exact"
    big = kb_from(corpus(60), exact_below=50, ivf_nprobe=1000)  # probing every list: exact results
    assert big.index.kind == "ivf"
    exact = kb_from(corpus(60))
    for q in ("word7 other7", "topic2 number"):
        assert [h.dense_score for h in big.search(q, segment=None, mode="dense")] == pytest.approx(
            [h.dense_score for h in exact.search(q, segment=None, mode="dense")], abs=1e-4)


def test_search_during_concurrent_edits_never_fails() -> None:
    kb = kb_from(corpus(30))
    errors: list[BaseException] = []

    def edit() -> None:
        for n in range(30):
            kb.index.upsert_article(doc(f"a{n}", f"Title {n}", f"## S\nfresh{n} text", version=2))

    def search() -> None:
        try:
            for _ in range(60):
                for h in kb.search("fresh text common", segment=None, k=5):
                    assert h.article_id.startswith("a")
        except BaseException as exc:  # noqa: BLE001 - collected for the main thread
            errors.append(exc)

    threads = [threading.Thread(target=edit), threading.Thread(target=search)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {e.version for e in kb.index.entries.values()} == {2}


class GatedEmbedder:
    """The fake embedder, holding any text containing `gate_word` until released (to order a race)."""

    def __init__(self, gate_word: str) -> None:
        self._inner = FakeEmbedder()
        self.name, self.dim = self._inner.name, self._inner.dim
        self.gate_word, self.waiting, self.release = gate_word, threading.Event(), threading.Event()

    def encode(self, texts: list[str], batch_size: int = 64):  # type: ignore[no-untyped-def]
        if any(self.gate_word in t for t in texts):
            self.waiting.set()
            assert self.release.wait(10)
        return self._inner.encode(texts)


def test_two_quick_edits_of_one_article_end_with_the_newer_text(demo_db: Database, tmp_path: Path) -> None:
    embedder = GatedEmbedder("Quokka")
    kb = KnowledgeBase.open(demo_db, settings(tmp_path), embedder)
    repo = ArticleRepository()
    with demo_db.session() as s:
        repo.update(s, "moving-home", {"body": "## Old\nQuokka policy, the first edit."}, "maria")
    first = threading.Thread(target=kb.sync_article, args=("moving-home",))
    first.start()
    assert embedder.waiting.wait(10)  # the first sync is embedding the older text
    with demo_db.session() as s:
        repo.update(s, "moving-home", {"body": "## New\nOkapi policy, the second edit."}, "maria")
    second = threading.Thread(target=kb.sync_article, args=("moving-home",))
    second.start()
    second.join(0.5)  # without ordering, the second sync finishes here and the first then overwrites it
    embedder.release.set()
    first.join(10)
    second.join(10)
    texts = [kb.index.entries[p].passage.text for p in kb.index.by_article["moving-home"]]
    assert texts == ["Okapi policy, the second edit."]
    assert kb.index.article_versions()["moving-home"] == 3


def test_upsert_older_than_the_indexed_version_is_skipped() -> None:
    kb = kb_from([doc("a", "A", "## S\nnew text", version=3)])
    assert kb.index.upsert_article(doc("a", "A", "## S\nold text", version=2)) is False
    assert [e.passage.text for e in kb.index.entries.values()] == ["new text"]
    assert kb.index.upsert_article(doc("a", "A", "## S\nnewer text", version=4)) is True


def test_ivf_index_saves_and_reloads_with_the_same_results(demo_db: Database, tmp_path: Path) -> None:
    first = KnowledgeBase.open(demo_db, settings(tmp_path, exact_below=10, ivf_nprobe=1000), FakeEmbedder())
    assert first.index.kind == "ivf"
    embedder = CountingEmbedder()
    again = KnowledgeBase.open(demo_db, settings(tmp_path, exact_below=10, ivf_nprobe=1000), embedder)
    assert embedder.texts == 0 and again.index.kind == "ivf"
    for q in ("router lights", "pay my bill late"):
        assert again.search(q, k=5) == first.search(q, k=5)
    with demo_db.session() as s:
        ArticleRepository().update(s, "slow-wifi", {"body": "## Okapi\nOkapi mode explained."}, "maria")
    again.sync_article("slow-wifi")
    assert again.search("okapi mode", k=1)[0].article_id == "slow-wifi"


def test_repeated_query_is_encoded_once_and_the_cache_is_bounded() -> None:
    embedder = CountingEmbedder()
    kb = KnowledgeBase.from_articles(corpus(5), embedder, settings(query_cache_size=2))
    built = embedder.texts
    kb.answer("word1 common")
    kb.search("word1 common", mode="dense")
    kb.search("word1 common", mode="hybrid")
    assert embedder.texts == built + 1
    kb.search("other2")
    kb.search("other3")  # evicts "word1 common", the least recently used
    kb.search("word1 common")
    assert embedder.texts == built + 4
    uncached = KnowledgeBase.from_articles(corpus(5), embedder, settings(query_cache_size=0))
    before = embedder.texts
    uncached.search("word1 common")
    uncached.search("word1 common")
    assert embedder.texts == before + 2


def test_query_cache_forgets_an_erased_customers_questions_and_keeps_the_index() -> None:
    embedder = CountingEmbedder()
    kb = KnowledgeBase.from_articles(corpus(5), embedder, settings(query_cache_size=8))
    kb.search("word1 common, ref 9b2e")
    kb.search("other2")
    assert kb.holding(["Word1 common, ref 9B2E"]) == 1
    assert kb.forget(["Word1 common, ref 9B2E"]) == 1
    assert kb.holding(["Word1 common, ref 9B2E"]) == 0 and list(kb._query_cache) == ["other2"]
    before = embedder.texts
    kb.search("word1 common, ref 9b2e")  # encoded afresh, and the index still answers
    assert embedder.texts == before + 1
    assert kb.search("word1 common", k=1)
    kb.clear()
    assert not kb._query_cache and kb.search("word1 common", k=1)


def test_open_over_a_saved_index_newer_than_the_database_serves_the_database(db: Database, tmp_path: Path) -> None:
    repo = ArticleRepository()
    with db.session() as s:
        repo.create(s, {"id": "a", "title": "A", "body": "## S\nOld zebra text.", "status": "published"}, "m")
        for n in range(3):
            repo.update(s, "a", {"body": f"## S\nEdit {n} zebra text."}, "m")
    KnowledgeBase.open(db, settings(tmp_path), FakeEmbedder())  # saves the index at version 4
    with db.session() as s:  # the database is replaced: the article is back at version 1
        s.delete(repo.get(s, "a"))
    with db.session() as s:
        repo.create(s, {"id": "a", "title": "A", "body": "## S\nFresh okapi text.", "status": "published"}, "m")
    kb = KnowledgeBase.open(db, settings(tmp_path), FakeEmbedder())
    assert [kb.index.entries[p].passage.text for p in kb.index.by_article["a"]] == ["Fresh okapi text."]
