from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.embedding import FakeEmbedder
from knowledge_base.answering import Hit
from knowledge_base.evaluation import Query, evaluate, first_relevant_rank, load_queries
from tests.knowledge_base.factories import article_text

KEYS = ["mrr", "hit_at_1", "hit_at_5", "no_answer_precision", "no_answer_recall", "query_ms_p50", "query_ms_p95",
        "index_seconds", "n_docs", "n_queries", "ece", "decision_accuracy"]


def h(pid: str) -> Hit:
    return Hit(pid, pid.split("#")[0], "", "", "", "", 0.5, 0.5, 0.0, 1)


def test_first_relevant_rank_counts_articles_once_unless_passages_are_asked_for() -> None:
    hits = [h("a#0"), h("a#1"), h("b#0"), h("c#2")]
    assert first_relevant_rank(hits, ("b",)) == 2
    assert first_relevant_rank(hits, ("c#2",)) == 4
    assert first_relevant_rank(hits, ("z",)) is None


def test_load_queries_names_the_bad_line(tmp_path: Path) -> None:
    f = tmp_path / "q.jsonl"
    f.write_text('{"query": "a", "relevant": ["x"]}\n\n{"query": "b"}\n')
    with pytest.raises(ValueError, match="q.jsonl line 3"):
        load_queries(f)
    f.write_text('{"query": "a", "relevant": []}\n')
    assert load_queries(f) == [Query("a", ())]


def folder(tmp_path: Path) -> Path:
    arts = tmp_path / "articles"
    arts.mkdir()
    topics = ["router lights blinking red", "direct debit payment date", "engineer visit booking",
              "wifi password change", "cancel contract notice"]
    for n, t in enumerate(topics):
        (arts / f"t{n}.md").write_text(article_text(f"t{n}", t.title(), f"## About\n{t} explained here."))
    (arts / "broken.md").write_text("no front matter")
    return arts


def test_evaluate_reports_every_key_for_every_mode(tmp_path: Path) -> None:
    queries = [Query("router lights red", ("t0",)), Query("debit payment date", ("t1",)),
               Query("engineer booking", ("t2",)), Query("zebra quokka xylophone", ())]
    report = evaluate(folder(tmp_path), queries, FakeEmbedder())
    assert set(report["modes"]) == {"hybrid", "dense", "bm25"}
    for m in report["modes"].values():
        assert list(m) == KEYS
        assert (m["n_docs"], m["n_queries"]) == (5, 4)
    assert report["modes"]["bm25"]["mrr"] == 1.0 and report["modes"]["hybrid"]["hit_at_1"] == 1.0
    assert report["article_errors"] == ["broken.md: front matter: missing (the file must start with ---)"]


def test_evaluate_tunes_on_validation_before_testing(tmp_path: Path) -> None:
    val = [Query("router lights", ("t0",)), Query("payment date debit", ("t1",)), Query("wifi password", ("t3",)),
           Query("cancel notice", ("t4",)), Query("banana bread", ()), Query("moon landing", ())]
    test = [Query("red router lights", ("t0",)), Query("unicorn", ())]
    report = evaluate(folder(tmp_path), test, FakeEmbedder(), validation=val)
    tuned = report["tuned"]
    assert set(tuned) == {"fusion", "calibration", "thresholds"}
    assert {len(c) for c in tuned["calibration"].values()} == {2, 4}
    assert json.loads(json.dumps(report)) == report  # the report is plain JSON
