"""'Did this help?' on a knowledge-base answer."""

from __future__ import annotations

from bot.escalation_gate import Gate
from bot.feedback import HELPED_TEXT, NOT_HELPED_TEXT, record_feedback
from core.db import Database
from core.settings import CoreSettings
from crm import ConversationStatus, Sender, store
from tests import factories, fakes

PARSE = {"intent": {"name": "billing_question", "confidence": 0.9},
         "intent_ranking": [{"name": "billing_question", "confidence": 0.9}]}


def answered(db: Database, cid: str, question: str) -> int:
    with db.session() as s:
        conv = store.get_conversation(s, cid)
        store.add_message(s, conv, Sender.CUSTOMER, question, parse=PARSE)
        m, _ = store.add_message(s, conv, Sender.BOT, "Your bill went up because…",
                                 meta={"kind": "kb_answer", "feedback": True, "article_id": "bill-increase"})
        return m.id


def setup(settings: CoreSettings, db: Database) -> tuple[Gate, str]:
    rt = fakes.runtime(settings, db)
    with db.session() as s:
        factories.agent(s, "maria", display_name="Maria Lopez")
        cid = factories.conversation(s).id
    return Gate(rt), cid


def test_feedback_yes_is_thanked_once(settings: CoreSettings, db: Database) -> None:
    gate, cid = setup(settings, db)
    mid = answered(db, cid, "why is my bill higher")
    out = record_feedback(gate.rt, gate, cid, mid, True)
    assert [m["text"] for m in out["messages"]] == [HELPED_TEXT]
    assert record_feedback(gate.rt, gate, cid, mid, False) == {"messages": [], "recorded": False}


def test_feedback_no_twice_hands_off_with_the_reason(settings: CoreSettings, db: Database) -> None:
    gate, cid = setup(settings, db)
    first = answered(db, cid, "why is my bill higher")
    out = record_feedback(gate.rt, gate, cid, first, False)
    assert [m["text"] for m in out["messages"]] == [NOT_HELPED_TEXT]
    second = answered(db, cid, "why did the price change")
    out = record_feedback(gate.rt, gate, cid, second, False)
    assert out["messages"][-1]["text"].startswith("Maria Lopez from Billing will join you")
    with db.session() as s:
        conv = store.get_conversation(s, cid)
        assert conv.status == ConversationStatus.QUEUED
        assert conv.handoff_reason == "Two answers did not help the customer"


def test_feedback_while_a_person_owns_the_chat_is_noted_silently(settings: CoreSettings, db: Database) -> None:
    gate, cid = setup(settings, db)
    mid = answered(db, cid, "why is my bill higher")
    with db.session() as s:
        store.set_status(s, cid, ConversationStatus.OPEN, assigned_agent_id=store.agent_by_username(s, "maria").id)
    assert record_feedback(gate.rt, gate, cid, mid, False) == {"messages": [], "recorded": True}
    with db.session() as s:
        msgs = store.list_messages(s, cid)
        assert [m.sender for m in msgs] == ["customer", "bot"]
        assert msgs[-1].meta["helpful"] is False
