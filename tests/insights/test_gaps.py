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
