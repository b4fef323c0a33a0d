from __future__ import annotations

from knowledge_base.answering import Hit, decide, plain_text, short_answer


def hit(aid: str, score: float, rank: int, text: str = "Do this. Then that.", n: int = 0) -> Hit:
    return Hit(f"{aid}#{n}", aid, aid.title(), "H", text, f"/kb/{aid}", score, 0.5, 1.0, rank)


def test_decide_without_hits_is_no_answer() -> None:
    assert decide([], 0.5, 0.1, 450).kind == "no_answer"


def test_decide_below_threshold_is_no_answer_with_candidates() -> None:
    hits = [hit("a", 0.4, 1)]
    a = decide(hits, 0.5, 0.1, 450)
    assert (a.kind, a.score, a.candidates, a.text) == ("no_answer", 0.4, hits, "")


def test_decide_close_articles_asks_which_topic() -> None:
    a = decide([hit("router", 0.8, 1), hit("router", 0.7, 2, n=1), hit("billing", 0.75, 3)], 0.5, 0.1, 450)
    assert (a.kind, a.clarify_options) == ("clarify", ["Router", "Billing"])


def test_decide_clear_winner_answers_from_its_best_passage() -> None:
    hits = [hit("router", 0.6, 1, "Weak."), hit("router", 0.9, 2, "**Hold** the button. Wait.", n=3),
            hit("billing", 0.5, 3)]
    a = decide(hits, 0.5, 0.1, 450)
    assert (a.kind, a.text, a.article_id, a.title, a.url, a.score) == (
        "answer", "Hold the button. Wait.", "router", "Router", "/kb/router", 0.9)


def test_plain_text_strips_markdown_and_ends_blocks_as_sentences() -> None:
    md = "Steps:\n\n1. Open **My Account**\n2. Choose [Payments](https://x.example)\n\n`code` here"
    assert plain_text(md) == "Steps: Open My Account. Choose Payments. code here."


def test_short_answer_keeps_whole_sentences_within_the_limit() -> None:
    assert short_answer("One two. Three four. Five six.", 20) == "One two. Three four."
    assert short_answer("x" * 30, 10) == "x" * 9 + "…"


def test_decide_close_rival_below_the_threshold_does_not_ask_it_answers() -> None:
    a = decide([hit("router", 0.55, 1), hit("billing", 0.48, 2)], 0.5, 0.1, 450)
    assert (a.kind, a.article_id) == ("answer", "router")
