"""Out-of-scope tries the knowledge base first; answers after misses offer a person; a request for a
person must be one (issue 13)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionOutOfScope
from actions.handoff import ActionHandoff
from actions.knowledge import ActionAnswer
from bot.recovery import NOT_A_REQUEST, OFFER
from bot.runtime import Runtime, set_runtime
from core.db import Database
from core.settings import CoreSettings
from crm import Sender, store
from tests import factories, fakes
from tests.knowledge_base.factories import doc, kb_from

ROUTER = doc("restart-router", "Restart your router", "## Restart\nSwitch the zebra router off for ten seconds.")


def run(action: Any, rt: Runtime, text: str, intent: str, earlier_bot_kinds: tuple[str, ...] = ()) -> list[dict]:
    with rt.db.session() as s:
        conv = factories.conversation(s)
        for kind in earlier_bot_kinds:
            store.add_message(s, conv, Sender.CUSTOMER, "??")
            store.add_message(s, conv, Sender.BOT, "Sorry?", meta={"kind": kind})
        conv_id = conv.id
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.6},
             "intent_ranking": [{"name": intent, "confidence": 0.6}]}
    tracker = Tracker(conv_id, {"segment": "residential"}, parse, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    set_runtime(rt)
    try:
        assert action.run(dispatcher, tracker, {}) == []
    finally:
        set_runtime(None)
    return dispatcher.messages


def test_action_out_of_scope_answers_from_the_knowledge_base_when_it_can(settings: CoreSettings, db: Database) -> None:
    rt = fakes.runtime(settings, db, kb=kb_from([ROUTER]))
    said = run(ActionOutOfScope(), rt, "ZEBRA ROUTER OFF", "out_of_scope")
    assert [(m["custom"]["kind"], m["custom"]["article_id"]) for m in said] == [("kb_answer", "restart-router")]


def test_action_out_of_scope_declines_with_the_domain_response_otherwise(settings: CoreSettings, db: Database) -> None:
    rt = fakes.runtime(settings, db, kb=kb_from([ROUTER], answer_threshold=0.99))
    said = run(ActionOutOfScope(), rt, "who won the football", "out_of_scope")
    assert [m["response"] for m in said] == ["utter_out_of_scope"]


def test_action_answer_after_two_misses_answers_and_offers_a_person(settings: CoreSettings, db: Database) -> None:
    rt = fakes.runtime(settings, db, kb=kb_from([ROUTER]))
    said = [m["custom"] for m in run(ActionAnswer(), rt, "zebra router off", "outage", ("fallback", "no_answer"))]
    assert [(m["kind"], m["options"], m["person_offered"]) for m in said] == [
        ("kb_answer", ["Talk to a person"], True)]
    assert said[0]["text"].endswith(OFFER)


def test_action_answer_without_earlier_misses_offers_nothing_extra(settings: CoreSettings, db: Database) -> None:
    rt = fakes.runtime(settings, db, kb=kb_from([ROUTER]))
    said = [m["custom"] for m in run(ActionAnswer(), rt, "zebra router off", "outage", ("greeting",))]
    assert "person_offered" not in said[0] and not said[0]["text"].endswith(OFFER)


def test_action_handoff_an_email_address_is_not_a_request_for_a_person(settings: CoreSettings, db: Database) -> None:
    rt = fakes.runtime(settings, db)
    said = run(ActionHandoff(), rt, "hi, my email is jordan.lee@example.com", "request_human")
    assert [(m["custom"]["kind"], m["custom"]["text"]) for m in said] == [("prompt", NOT_A_REQUEST)]


def test_action_handoff_explicit_request_hands_off(settings: CoreSettings, db: Database) -> None:
    rt = fakes.runtime(settings, db)
    calls: list[str] = []
    rt.extras["escalation_gate"].request_human = lambda s, cid, text: calls.append(text)
    assert run(ActionHandoff(), rt, "can somebody from the team call me", "request_human") == []
    assert calls == ["can somebody from the team call me"]
