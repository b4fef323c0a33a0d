"""The real all-MiniLM-L6-v2 model on the demo articles, with the shipped settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.db import Database
from core.embedding import get_embedder
from knowledge_base import KBSettings, KnowledgeBase


@pytest.fixture
def real_kb(demo_db: Database, tmp_path: Path) -> KnowledgeBase:
    return KnowledgeBase.open(demo_db, KBSettings(index_dir=tmp_path / "kb"), get_embedder("bundled"))


@pytest.mark.model
@pytest.mark.parametrize(
    ("query", "article"),
    [
        ("I forgot my password and can't log in", "reset-password"),
        ("my internet is really slow in the bedroom", "slow-wifi"),
        ("how do I pay my bill", "payment-methods"),
        ("I'm moving to a new house next month", "moving-home"),
    ],
)
def test_model_answers_demo_questions_from_the_right_article(real_kb: KnowledgeBase, query: str, article: str) -> None:
    a = real_kb.answer(query)
    assert (a.kind, a.article_id, a.url) == ("answer", article, f"/kb/{article}")
    assert 0 < len(a.text) <= 450


@pytest.mark.model
def test_model_declines_questions_the_articles_do_not_cover(real_kb: KnowledgeBase) -> None:
    assert real_kb.answer("what is the capital of Peru").kind == "no_answer"


@pytest.mark.model
def test_model_business_articles_stay_hidden_from_residential_customers(real_kb: KnowledgeBase) -> None:
    hits = real_kb.search("priority support for business customers", segment="residential", k=10)
    assert "business-priority-support" not in {h.article_id for h in hits}
    assert real_kb.search("priority support for business customers", segment="business", k=1)[0].article_id == (
        "business-priority-support")


@pytest.mark.model
def test_model_shipped_thresholds_decide_most_demo_questions_right(real_kb: KnowledgeBase) -> None:
    """The labelled demo questions the shipped thresholds were chosen on: 32 of 38 at the time of choosing."""
    from knowledge_base.evaluation import decision_correct, load_queries

    queries = load_queries(Path(__file__).parents[2] / "data" / "kb" / "demo-questions.jsonl")
    titles = {aid: real_kb.index.entries[ids[0]].title for aid, ids in real_kb.index.by_article.items()}
    answers = [real_kb.answer(q.query) for q in queries]
    right = sum(decision_correct(a.kind, a.article_id, a.clarify_options, titles, q)
                for a, q in zip(answers, queries, strict=True))
    assert right >= 30, f"{right}/{len(queries)}"
    # Declining is the safe failure; answering a question no published article covers is the harmful one
    # (the unpublished 2027 line-up's topic still draws the TV article at the time of writing).
    wrong_answers = [q.query for a, q in zip(answers, queries, strict=True) if a.kind == "answer" and not q.relevant]
    assert len(wrong_answers) <= 1, wrong_answers
