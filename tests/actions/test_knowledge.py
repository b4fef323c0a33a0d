"""The knowledge-base actions: answer, clarify, no answer, and the fallback that tries articles first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionFallback
from actions.knowledge import ActionAnswer
from bot import assist
from bot.runtime import Runtime, set_runtime
from core.db import Database
from core.events import events
from core.settings import CoreSettings
from tests import factories, fakes
from tests.knowledge_base.factories import doc, kb_from

ROUTER = doc("restart-router", "Restart your router", "## Restart\nSwitch the zebra router off for ten seconds.")
BILL = doc("understand-bill", "Understanding your bill", "## Charges\nYour okapi bill lists monthly charges.")


def run(action: Any, rt: Runtime, text: str, intent: str = "nlu_fallback",
        segment: str | None = "residential") -> tuple[list[dict[str, Any]], list[Any]]:
    """Run an action as rasa-sdk would; return what it said and the events the bus saw."""
    with rt.db.session() as s:
        conv = factories.conversation(s, customer=factories.customer(s, segment="Enterprise (legacy)"))
        conv_id = conv.id
    seen: list[Any] = []
    rt.bus.on(events.RETRIEVAL_FAILED, seen.append)
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.2},
             "intent_ranking": [{"name": intent, "confidence": 0.2}]}
    tracker = Tracker(conv_id, {"segment": segment}, parse, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    set_runtime(rt)
    try:
        assert action.run(dispatcher, tracker, {}) == []
    finally:
        set_runtime(None)
    return [m["custom"] for m in dispatcher.messages], seen


@pytest.fixture
def make_rt(settings: CoreSettings, db: Database) -> Iterator[Any]:
    def make(**kw: object) -> Runtime:
        return fakes.runtime(settings, db, kb=kb_from([ROUTER, BILL], **kw))

    yield make


def test_action_answer_good_match_answers_with_title_link_and_feedback(make_rt: Any) -> None:
    said, failed = run(ActionAnswer(), make_rt(), "zebra router off")
    assert [(m["kind"], m["article_id"], m["url"], m["feedback"]) for m in said] == [
        ("kb_answer", "restart-router", "/kb/restart-router", True)]
    assert said[0]["text"].startswith("Switch the zebra router off for ten seconds.")
    assert failed == []


def test_action_answer_below_threshold_says_no_answer_and_emits_retrieval_failed(make_rt: Any) -> None:
    said, failed = run(ActionAnswer(), make_rt(answer_threshold=0.99), "zebra router off")
    assert [(m["kind"], m["options"]) for m in said] == [("no_answer", ["Talk to a person"])]
    assert [(e.name, e.data["kind"], e.data["query"]) for e in failed] == [
        ("retrieval.failed", "no_answer", "zebra router off")]


def test_action_answer_two_close_articles_asks_which_one(make_rt: Any) -> None:
    said, failed = run(ActionAnswer(), make_rt(clarify_margin=1.0), "zebra router okapi bill")
    assert [(m["kind"], sorted(m["options"])) for m in said] == [
        ("clarify", ["Restart your router", "Understanding your bill"])]
    assert [e.data["kind"] for e in failed] == ["clarify"]


def test_action_fallback_unmodelled_question_answers_from_the_knowledge_base(make_rt: Any) -> None:
    said, failed = run(ActionFallback(), make_rt(), "zebra router off")
    assert [(m["kind"], m["article_id"]) for m in said] == [("kb_answer", "restart-router")]
    assert failed == []


def test_action_fallback_nothing_good_says_not_understood(make_rt: Any) -> None:
    said, failed = run(ActionFallback(), make_rt(answer_threshold=0.99), "zebra router off")
    assert [(m["kind"], m["options"]) for m in said] == [("fallback", ["Talk to a person"])]
    assert said[0]["text"].startswith("Sorry, I didn't understand that.")
    assert [e.data["kind"] for e in failed] == ["fallback"]


def test_action_fallback_without_a_knowledge_base_says_not_understood(settings: CoreSettings, db: Database) -> None:
    said, _ = run(ActionFallback(), fakes.runtime(settings, db), "anything")
    assert [m["kind"] for m in said] == ["fallback"]


def test_answer_or_fallback_kinds_stay_within_what_escalation_counts() -> None:
    from escalation.turns import NOT_UNDERSTOOD

    kb = kb_from([ROUTER, BILL], answer_threshold=0.99)
    assert assist.answer_or_fallback(kb, "zebra", "residential", {}).kind in NOT_UNDERSTOOD
    kb = kb_from([ROUTER, BILL], clarify_margin=1.0)
    assert assist.answer_or_fallback(kb, "zebra router okapi bill", "residential", {}).kind in NOT_UNDERSTOOD


def test_action_answer_customer_with_an_unknown_segment_gets_articles_for_everyone(
        settings: CoreSettings, db: Database) -> None:
    business = doc("biz-router", "Business router", "## Restart\nSwitch the zebra router off.", "business")
    rt = fakes.runtime(settings, db, kb=kb_from([ROUTER, business]))
    said, _ = run(ActionAnswer(), rt, "zebra router off", intent="outage", segment=None)  # crm: "Enterprise (legacy)"
    assert [(m["kind"], m["article_id"]) for m in said] == [("kb_answer", "restart-router")]
