"""False positives of each trigger: turns where no person is wanted must not hand off (issue 13)."""

from __future__ import annotations

import pytest

from core.embedding import FakeEmbedder
from escalation import EscalationSettings, Turn, assess
from escalation import triggers as t

S = EscalationSettings()


def turn(text: str, intent: str = "billing_question", confidence: float = 0.9, **kw: object) -> Turn:
    return Turn(text, intent, confidence, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "hi, my email is jordan.lee@example.com",
        "my name is Jordan Lee",
        "hello",
        "it's 07700 900123 if you need it",
        "Priya Shah, account 4471-2290",
    ],
)
def test_asked_for_human_not_for_details_or_greetings_the_model_reads_as_request_human(text: str) -> None:
    assert t.asked_for_human(turn(text, "request_human", 0.62), S) is None


@pytest.mark.parametrize(
    "text",
    [
        "can somebody call me back",
        "I'd rather deal with a member of staff",
        "put me through to the billing team",
        "stop the bot",
    ],
)
def test_asked_for_human_when_the_words_name_a_person(text: str) -> None:
    d = t.asked_for_human(turn(text, "request_human", 0.8), S)
    assert d is not None and d.trigger == "asked_for_human"


@pytest.mark.parametrize(
    "text",
    [
        "can you transfer me to the team that does refunds",
        "connect me with your tech support",
        "pls ring me back this afternoon about the outage",
        "I need a human to look at my bill",
    ],
)
def test_asked_for_human_when_asked_to_be_passed_on_whatever_the_intent(text: str) -> None:
    d = t.asked_for_human(turn(text, "billing_question", 0.7), S)
    assert d is not None and d.trigger == "asked_for_human"


@pytest.mark.parametrize(
    "text",
    [
        "you can call me on 07700 900123",
        "how do I connect my phone to the wifi",
        "I want a faster plan",
        "which cable do I need to connect the box to the TV",
    ],
)
def test_asked_for_human_not_for_numbers_or_connecting_devices(text: str) -> None:
    assert t.asked_for_human(turn(text, "billing_question", 0.7), S) is None


@pytest.mark.parametrize(
    "text",
    [
        "can I get social media apps on the TV box?",
        "I have an issue with my bill",
        "is the courtesy call free?",
        "I'd like to review my plan",
    ],
)
def test_sensitive_not_for_everyday_words(text: str) -> None:
    assert t.sensitive(turn(text, "billing_question", 0.9), S) is None


def test_sensitive_for_a_threat_to_go_public() -> None:
    d = t.sensitive(turn("fix it today or I'm putting this all over twitter"), S)
    assert d is not None and d.trigger == "sensitive_intent"


def test_upset_not_for_a_mildly_negative_question() -> None:
    assert t.upset([], turn("my wifi is slow, annoying", sentiment=-0.4, frustration=0.24), S) is None


def test_upset_sentiment_drop_not_against_chitchat_baseline() -> None:
    history = [turn("thanks!", "thanks", sentiment=0.9), turn("great", "affirm", sentiment=0.8)]
    assert t.upset(history, turn("my bill went up", sentiment=-0.2), S) is None


def test_not_helpful_not_for_a_fault_described_in_the_first_messages() -> None:
    history = [turn("I plugged the router in and it doesn't work", "outage", bot_reply_kinds=("fallback",))]
    current = turn("the tv box, it does not work either", "tv_problem")
    assert t.not_helpful(history, current) is None


def test_not_helpful_counts_words_after_an_answer() -> None:
    history = [turn("router lights red", "outage", bot_reply_kinds=("kb_answer",)),
               turn("that didn't help", "deny", bot_reply_kinds=("kb_answer",))]
    d = t.not_helpful(history, turn("it still doesn't work", "outage"))
    assert d is not None and d.trigger == "not_helpful_twice"


def test_repeated_fallback_waits_for_the_reply_to_a_clear_question() -> None:
    history = [turn("<b>hi</b>", "out_of_scope", out_of_scope=True, bot_reply_kinds=("fallback",)),
               turn("/restart", "outage", 0.27, bot_reply_kinds=("no_answer",))]
    before = turn("how do I restart my router?", "outage", 0.41)
    after = turn("how do I restart my router?", "outage", 0.41, bot_reply_kinds=("kb_answer",))
    assert assess(history, before, embedder=FakeEmbedder()).handoff is False
    assert assess(history, after, embedder=FakeEmbedder()).handoff is False


def test_repeated_fallback_still_hands_off_at_the_second_miss() -> None:
    history = [turn("the thingy blinks", "nlu_fallback", 0.3, bot_reply_kinds=("fallback",))]
    d = assess(history, turn("the box thing blinks", "nlu_fallback", 0.3, bot_reply_kinds=("fallback",)),
               embedder=FakeEmbedder())
    assert (d.handoff, d.trigger) == (True, "repeated_fallback")


def test_out_of_scope_twice_not_when_the_knowledge_base_answered() -> None:
    history = [turn("ORANGE LIGHT. FLASHING", "out_of_scope", 0.9, out_of_scope=True, bot_reply_kinds=("kb_answer",))]
    current = turn("what's the weather", "out_of_scope", 0.9, out_of_scope=True, bot_reply_kinds=("reply",))
    assert t.out_of_scope_twice(history, current) is None


def test_low_confidence_not_before_the_reply_nor_when_answered() -> None:
    assert t.low_confidence([], turn("restarting worked. cheers", "outage", 0.1), S) is None
    assert t.low_confidence([], turn("router?", "outage", 0.1, bot_reply_kinds=("kb_answer",)), S) is None


def test_low_confidence_one_unanswered_very_unsure_turn() -> None:
    d = t.low_confidence([], turn("blorp", "outage", 0.1, bot_reply_kinds=("no_answer",)), S)
    assert d is not None and d.trigger == "low_confidence"


def test_rephrase_loop_not_for_chitchat_after_an_answer() -> None:
    history = [turn("how do I pay", bot_reply_kinds=("kb_answer",))]
    assert t.rephrase_loop(history, turn("thanks", "thanks"), S, FakeEmbedder()) is None


def test_customer_rule_not_for_greetings_of_a_vip() -> None:
    from escalation import CustomerFacts

    s = EscalationSettings(vip_handoff=True)
    assert t.customer_rule(turn("hello", "greet"), CustomerFacts(vip=True), s) is None
