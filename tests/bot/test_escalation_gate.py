"""The real Gate over stored messages: which turns count towards a handoff."""

from __future__ import annotations

from typing import Any

from bot.escalation_gate import Gate
from core.db import Database
from core.embedding import FakeEmbedder
from core.settings import CoreSettings
from crm import Sender, store
from tests import factories, fakes

CONFIDENT = {"intent": {"name": "billing_question", "confidence": 0.92},
             "intent_ranking": [{"name": "billing_question", "confidence": 0.92}],
             "sentiment": {"compound": 0.0, "frustration": 0.0}}
FALLBACK = {"intent": {"name": "nlu_fallback", "confidence": 0.5},
            "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "outage", "confidence": 0.5}],
            "sentiment": {"compound": 0.0, "frustration": 0.0}}


def make_gate(settings: CoreSettings, db: Database) -> tuple[Gate, str]:
    rt = fakes.runtime(settings, db)
    rt.embedder = FakeEmbedder()
    with db.session() as s:
        cid = factories.conversation(s).id
    return Gate(rt), cid


def say(db: Database, cid: str, sender: str, text: str, parse: dict[str, Any] | None = None, **meta: Any) -> None:
    with db.session() as s:
        store.add_message(s, store.get_conversation(s, cid), sender, text, parse=parse, meta=meta)


def check(gate: Gate, db: Database, cid: str) -> Any:
    with db.session() as s:
        return gate.check(s, cid, dialogue_available=True)


def test_gate_two_fallbacks_hand_off_with_repeated_fallback(settings: CoreSettings, db: Database) -> None:
    gate, cid = make_gate(settings, db)
    say(db, cid, Sender.CUSTOMER, "the thingy blinks amber", FALLBACK)
    say(db, cid, Sender.BOT, "Sorry, I didn't understand.", kind="fallback")
    assert not check(gate, db, cid).handoff
    say(db, cid, Sender.CUSTOMER, "the box light is orange", FALLBACK)
    say(db, cid, Sender.BOT, "Sorry, I didn't understand.", kind="fallback")
    decision = check(gate, db, cid)
    assert (decision.handoff, decision.trigger) == (True, "repeated_fallback")


def test_gate_after_hand_back_earlier_failures_do_not_count_again(settings: CoreSettings, db: Database) -> None:
    gate, cid = make_gate(settings, db)
    for text in ("the thingy blinks amber", "the box light is orange"):
        say(db, cid, Sender.CUSTOMER, text, FALLBACK)
        say(db, cid, Sender.BOT, "Sorry, I didn't understand.", kind="fallback")
    say(db, cid, Sender.SYSTEM, "Maria Lopez will join you in a moment.", kind="handoff")
    say(db, cid, Sender.AGENT, "Hi, Maria here. That light means a firmware update; give it ten minutes.")
    say(db, cid, Sender.CUSTOMER, "ok it is green now, thanks", CONFIDENT)
    say(db, cid, Sender.SYSTEM, "You're back with our virtual assistant.", kind="handed_back")
    say(db, cid, Sender.CUSTOMER, "why is my bill higher this month", CONFIDENT)
    say(db, cid, Sender.BOT, "Your bill went up because the discount ended.", kind="kb_answer")
    assert check(gate, db, cid).handoff is False


def test_gate_handoff_notices_are_not_bot_answers(settings: CoreSettings, db: Database) -> None:
    gate, cid = make_gate(settings, db)
    # A question answered only by a handoff notice, then asked again: not a rephrase loop.
    say(db, cid, Sender.CUSTOMER, "why is my bill higher this month", CONFIDENT)
    say(db, cid, Sender.SYSTEM, "Maria Lopez will join you in a moment.", kind="handoff")
    say(db, cid, Sender.SYSTEM, "You're back with our virtual assistant.", kind="handed_back")
    say(db, cid, Sender.CUSTOMER, "why is my bill higher this month", CONFIDENT)
    assert check(gate, db, cid).handoff is False
    # ...whereas the same question after a real bot answer is one.
    say(db, cid, Sender.BOT, "Your bill went up because the discount ended.", kind="kb_answer")
    say(db, cid, Sender.CUSTOMER, "why is my bill higher this month", CONFIDENT)
    decision = check(gate, db, cid)
    assert (decision.handoff, decision.trigger) == (True, "rephrase_loop")


CODE = {"intent": {"name": "enter_code", "confidence": 0.9},
        "intent_ranking": [{"name": "enter_code", "confidence": 0.9}],
        "sentiment": {"compound": 0.0, "frustration": 0.0}}


def test_gate_a_second_try_at_a_code_is_no_rephrase_loop(settings: CoreSettings, db: Database) -> None:
    gate, cid = make_gate(settings, db)
    say(db, cid, Sender.CUSTOMER, "123457", CODE)
    say(db, cid, Sender.BOT, "That doesn't match what we have. You have 2 more tries.", kind="verify_wrong")
    say(db, cid, Sender.CUSTOMER, "123457", CODE)
    assert not check(gate, db, cid).handoff


def test_gate_a_repeated_real_question_is_still_a_rephrase_loop(settings: CoreSettings, db: Database) -> None:
    gate, cid = make_gate(settings, db)
    say(db, cid, Sender.CUSTOMER, "why is my bill so high", CONFIDENT)
    say(db, cid, Sender.BOT, "Your discount ended.", kind="kb_answer")
    say(db, cid, Sender.CUSTOMER, "why is my bill so high", CONFIDENT)
    decision = check(gate, db, cid)
    assert (decision.handoff, decision.trigger) == (True, "rephrase_loop")
class _KB:
    """The knowledge base's answer() contract, answering one known question."""

    def answer(self, query: str, segment: str) -> Any:
        from types import SimpleNamespace

        if "password" in query:
            return SimpleNamespace(kind="answer", text="Use 'Forgot password' on the sign-in page.", title="Reset",
                                   url="/kb/reset", article_id="reset", score=0.9, clarify_options=[])
        return SimpleNamespace(kind="no_answer", score=0.1, clarify_options=[])


def waiting_gate(settings: CoreSettings, db: Database) -> tuple[Gate, str]:
    from crm import ConversationStatus

    gate, cid = make_gate(settings, db)
    gate.rt.kb = _KB()
    with db.session() as s:
        store.set_status(s, cid, ConversationStatus.QUEUED)
    return gate, cid


def test_gate_while_waiting_acknowledges_and_answers_a_calm_level_one_question(settings: CoreSettings,
                                                                               db: Database) -> None:
    gate, cid = waiting_gate(settings, db)
    say(db, cid, Sender.CUSTOMER, "how do I reset my password?", CONFIDENT)
    with db.session() as s:
        gate.while_human_owned(s, cid, "how do I reset my password?")
    with db.session() as s:
        conv = store.get_conversation(s, cid)
        later = [(m.sender, m.meta.get("kind")) for m in store.list_messages(s, cid)][1:]
        assert conv.status == "queued"  # the bot answered without taking the conversation from the queue
    assert later == [("system", "waiting_ack"), ("bot", "kb_answer_waiting")]


def test_gate_while_waiting_leaves_an_upset_customer_to_the_person(settings: CoreSettings, db: Database) -> None:
    gate, cid = waiting_gate(settings, db)
    upset = dict(CONFIDENT, sentiment={"compound": -0.8, "frustration": 0.9})
    say(db, cid, Sender.CUSTOMER, "why can't I reset my password, third time I'm asking?", upset)
    with db.session() as s:
        gate.while_human_owned(s, cid, "why can't I reset my password, third time I'm asking?")
    with db.session() as s:
        assert [m.meta.get("kind") for m in store.list_messages(s, cid)][1:] == ["waiting_ack"]
