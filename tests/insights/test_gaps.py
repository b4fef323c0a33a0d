from __future__ import annotations

import yaml

from core.db import Database
from core.embedding import FakeEmbedder
from crm import Handoff, Sender, store
from insights import FailedQuestion, cluster_questions, failed_questions, nlu_yaml
from tests import factories


def test_failed_questions_finds_each_kind_of_failure(db: Database) -> None:
    with db.session() as s:
        conv = factories.conversation(s)

        def turn(text: str, meta: dict) -> None:
            store.add_message(s, conv, Sender.CUSTOMER, text)
            store.add_message(s, conv, Sender.BOT, "…", meta=meta)

        turn("can I pay in bitcoin", {"kind": "no_answer"})
        turn("blorp the frobnicator", {"kind": "fallback"})
        turn("my router is blinking orange", {"kind": "kb_answer", "score": 0.31})
        turn("how do I change my plan", {"kind": "kb_answer", "score": 0.9, "helpful": False})
        turn("how do I reset my password", {"kind": "kb_answer", "score": 0.92, "helpful": True})
        store.add_message(s, conv, Sender.CUSTOMER, "I want a person now")
        s.add(Handoff(conversation_id=conv.id, trigger="asked_for_human", reason="asked"))
    with db.session() as s:
        got = [(f.text, f.reason) for f in failed_questions(s)]
    assert got == [
        ("can I pay in bitcoin", "no answer"),
        ("blorp the frobnicator", "not understood"),
        ("my router is blinking orange", "low confidence"),
        ("how do I change my plan", "didn't help"),
        ("I want a person now", "handoff"),
    ]


def test_failed_questions_includes_out_of_scope_declines_only(db: Database) -> None:
    declined = "Sorry, that's not something I can help with."
    with db.session() as s:
        conv = factories.conversation(s)

        def turn(text: str, intent: str, meta: dict) -> None:
            store.add_message(s, conv, Sender.CUSTOMER, text, parse={"intent": {"name": intent, "confidence": 0.9}})
            store.add_message(s, conv, Sender.BOT, declined if intent == "out_of_scope" else "…", meta=meta)

        turn("do you sell mobile phones", "out_of_scope", {})  # declined in plain words
        turn("ORANGE LIGHT. WHAT DOES IT MEAN", "out_of_scope", {"kind": "kb_answer", "score": 0.9})  # answered
        turn("hello there", "greet", {})  # a plain reply to an in-scope message is no gap
    with db.session() as s:
        assert [(f.text, f.reason) for f in failed_questions(s)] == [("do you sell mobile phones", "out of scope")]


def test_cluster_questions_groups_paraphrases_and_counts() -> None:
    texts = ["can I pay with bitcoin", "can I pay with bitcoin please", "pay with bitcoin",
             "router light blinking orange", "router light is orange blinking"]
    qs = [FailedQuestion(i, "c", t, "no answer", None) for i, t in enumerate(texts)]  # type: ignore[arg-type]
    clusters = cluster_questions(qs, FakeEmbedder(), threshold=0.5)
    assert [(c.count, sorted(c.examples)) for c in clusters] == [
        (3, sorted(texts[:3])),
        (2, sorted(texts[3:])),
    ]
    assert clusters[0].reasons == {"no answer": 3}


def test_cluster_questions_empty_is_empty() -> None:
    assert cluster_questions([], FakeEmbedder()) == []


def test_nlu_yaml_is_rasa_training_data() -> None:
    data = yaml.safe_load(nlu_yaml("billing_question", ["can I pay in  bitcoin", "crypto payments?"]))
    assert data == {"version": "3.1", "nlu": [{"intent": "billing_question",
                                               "examples": "- can I pay in bitcoin\n- crypto payments?\n"}]}


def test_failed_questions_over_the_limit_keeps_the_newest(db: Database) -> None:
    with db.session() as s:
        first, second = sorted([factories.conversation(s), factories.conversation(s)], key=lambda c: c.id)
        for n in range(3):  # older failures, in the conversation whose id sorts first
            store.add_message(s, first, Sender.CUSTOMER, f"old question {n}")
            store.add_message(s, first, Sender.BOT, "…", meta={"kind": "no_answer"})
        store.add_message(s, second, Sender.CUSTOMER, "newest question")
        store.add_message(s, second, Sender.BOT, "…", meta={"kind": "fallback"})
    with db.session() as s:
        assert [f.text for f in failed_questions(s, limit=1)] == ["newest question"]


def test_failed_questions_handoff_takes_the_last_question_before_it(db: Database) -> None:
    from datetime import timedelta

    with db.session() as s:
        conv = factories.conversation(s)
        asked, _ = store.add_message(s, conv, Sender.CUSTOMER, "my line is dead")
        later, _ = store.add_message(s, conv, Sender.CUSTOMER, "thanks, bye")
        later.created_at = asked.created_at + timedelta(minutes=5)
        s.add(Handoff(conversation_id=conv.id, trigger="asked_for_human", reason="asked",
                      created_at=asked.created_at + timedelta(minutes=1)))
        factories.conversation(s)  # a conversation without messages or handoffs changes nothing
    with db.session() as s:
        assert [(f.text, f.reason) for f in failed_questions(s)] == [("my line is dead", "handoff")]


def test_questions_by_id_keeps_order_and_skips_bot_messages(db: Database) -> None:
    from insights import questions_by_id

    with db.session() as s:
        conv = factories.conversation(s)
        a, _ = store.add_message(s, conv, Sender.CUSTOMER, "first")
        b, _ = store.add_message(s, conv, Sender.BOT, "a bot line")
        c, _ = store.add_message(s, conv, Sender.CUSTOMER, "second")
        ids = [c.id, b.id, a.id, c.id, 10**9]
    with db.session() as s:
        assert questions_by_id(s, ids) == ["second", "first"]
