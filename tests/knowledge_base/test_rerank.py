"""The passage reranker: question type against the heading (issue 13)."""

from __future__ import annotations

import pytest

from knowledge_base.answering import Hit
from knowledge_base.rerank import features, question_type, rerank


def hit(heading: str, score: float, rank: int) -> Hit:
    return Hit(f"p{rank}", "restart-router", "Restarting your router", heading, "text", "/kb/restart-router",
               score, 0.5, 1.0, rank)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("how do I restart my router?", "how_to"),
        ("How to restart your router", "how_to"),
        ("HOW OFTEN SHOULD I RESTART IT", "how_often"),
        ("How often should I restart it?", "how_often"),
        ("why is my bill higher", "why"),
        ("how much does it cost to leave early", "how_much"),
        ("when will I be billed", "when"),
        ("what does the orange light mean", "meaning"),
        ("my router is broken", None),
    ],
)
def test_question_type_reads_what_is_asked(text: str, kind: str | None) -> None:
    assert question_type(text) == kind


def test_features_agree_contradict_or_unknown() -> None:
    assert features("how do I restart my router", "How to restart your router")[0] == 1.0
    assert features("how do I restart my router", "How often should I restart it?")[0] == -1.0
    assert features("router broken", "How often should I restart it?")[0] == 0.0


def test_rerank_how_to_question_prefers_the_how_to_passage() -> None:
    hits = [hit("How often should I restart it?", 0.92, 1), hit("How to restart your router", 0.84, 2)]
    out = rerank("how do I restart my router?", hits, 0.5, 1.0, 10)
    assert [(h.heading, h.rank) for h in out] == [
        ("How to restart your router", 1), ("How often should I restart it?", 2)]


def test_rerank_how_often_question_keeps_the_how_often_passage() -> None:
    hits = [hit("How often should I restart it?", 0.92, 1), hit("How to restart your router", 0.84, 2)]
    assert rerank("how often should I restart the router", hits, 0.5, 1.0, 10)[0].heading == \
        "How often should I restart it?"


def test_rerank_zero_weights_changes_nothing() -> None:
    hits = [hit("How often should I restart it?", 0.92, 1), hit("How to restart your router", 0.84, 2)]
    assert rerank("how do I restart my router?", hits, 0.0, 0.0, 10) == hits


def test_rerank_leaves_passages_below_depth_alone() -> None:
    hits = [hit("A", 0.9, 1), hit("B", 0.8, 2), hit("How to restart your router", 0.1, 3)]
    assert rerank("how do I restart", hits, 3.0, 3.0, 2)[2] == hits[2]


def test_features_action_headings_answer_how_to_and_stems_match() -> None:
    assert features("how do I change my wifi password", "Changing your wifi password") == (1.0, 1.0)
    assert features("how do I change my wifi password", "Finding your wifi password")[1] == pytest.approx(2 / 3)


def test_rerank_keeps_the_article_decision_and_its_best_score() -> None:
    other = Hit("q1", "slow-wifi", "Slow wifi", "Why your wifi is slow", "t", "/kb/slow-wifi", 0.88, 0.5, 1.0, 2)
    hits = [hit("How often should I restart it?", 0.92, 1), other, hit("How to restart your router", 0.84, 3)]
    out = rerank("how do I restart my router?", hits, 0.5, 1.0, 10)
    assert [(h.heading, h.score) for h in out] == [
        ("How to restart your router", 0.92), ("How often should I restart it?", 0.92), ("Why your wifi is slow", 0.88)]
