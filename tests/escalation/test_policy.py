from __future__ import annotations

import pytest

from core.embedding import FakeEmbedder
from escalation import CustomerFacts, EscalationSettings, Turn, assess


def turn(text: str, intent: str = "billing_question", confidence: float = 0.9, **kw: object) -> Turn:
    return Turn(text, intent, confidence, **kw)  # type: ignore[arg-type]


S = EscalationSettings()


@pytest.mark.parametrize(
    ("history", "current", "trigger", "reason"),
    [
        (
            [],
            turn("can I talk to someone real", "request_human"),
            "asked_for_human",
            "Customer asked for a person: 'can I talk to someone real'",
        ),
        (
            [],
            turn("let me speak to a manager", "billing_question", 0.4),
            "asked_for_human",
            "Customer asked for a person: 'let me speak to a manager'",
        ),
        (
            [],
            turn("cancel my contract", "cancel_service", 0.95),
            "sensitive_intent",
            "Sensitive request (cancelling their service): 'cancel my contract'",
        ),
        (
            [],
            turn("I'll post this on social media", "billing_question"),
            "sensitive_intent",
            "Legal or public complaint mentioned: 'I'll post this on social media'",
        ),
        (
            [],
            turn("this is awful", sentiment=-0.7),
            "negative_sentiment",
            "Customer is upset (sentiment -0.70, frustration 0.00): 'this is awful'",
        ),
        (
            [turn("my bill is up", sentiment=0.5), turn("bill?", sentiment=0.4)],
            turn("meh", sentiment=-0.3),
            "sentiment_drop",
            "Mood dropped sharply (+0.45 → -0.30): 'meh'",
        ),
        (
            [turn("q1", not_helpful=True, bot_reply_kinds=("kb_answer",))],
            turn("that didn't help"),
            "not_helpful_twice",
            "Two answers did not help the customer",
        ),
        (
            [turn("q1", bot_reply_kinds=("fallback",))],
            turn("q2", bot_reply_kinds=("fallback",)),
            "repeated_fallback",
            "The assistant could not understand or answer twice",
        ),
        (
            [turn("why is my bill so high", bot_reply_kinds=("kb_answer",))],
            turn("why is my bill so high"),
            "rephrase_loop",
            "Customer repeated the question after an answer: 'why is my bill so high'",
        ),
        (
            [turn("weather?", "out_of_scope", out_of_scope=True, bot_reply_kinds=("reply",))],
            turn("lottery?", "out_of_scope", out_of_scope=True, bot_reply_kinds=("reply",)),
            "out_of_scope_twice",
            "Two questions the assistant cannot handle: 'lottery?'",
        ),
        (
            [],
            turn("blorp", "nlu_fallback", 0.1, bot_reply_kinds=("fallback",)),
            "low_confidence",
            "The assistant barely understood (10% sure): 'blorp'",
        ),
    ],
)
def test_assess_fires_the_trigger_with_its_reason(
    history: list[Turn], current: Turn, trigger: str, reason: str
) -> None:
    d = assess(history, current, settings=S)
    assert (d.handoff, d.trigger, d.reason) == (True, trigger, reason)


def test_assess_when_dialogue_is_down_hands_off_whatever_was_said() -> None:
    d = assess([], turn("hello", "greet"), dialogue_available=False)
    assert (d.trigger, d.reason) == ("dialogue_unavailable", "The assistant (Rasa) was unreachable or too slow")


def test_assess_rephrase_detected_by_embedding_similarity() -> None:
    hist = [turn("my internet keeps dropping every evening", "slow_internet", bot_reply_kinds=("kb_answer",))]
    d = assess(
        hist, turn("internet keeps dropping every evening again", "slow_internet"), settings=S, embedder=FakeEmbedder()
    )
    assert d.trigger == "rephrase_loop"


def test_assess_customer_rules_are_settings() -> None:
    vip = CustomerFacts(vip=True)
    assert not assess([], turn("why is my bill high"), customer=vip).handoff
    d = assess([], turn("why is my bill high"), customer=vip, settings=EscalationSettings(vip_handoff=True))
    assert (d.trigger, d.reason) == ("customer_rule", "VIP customer: a person handles their questions")


def test_assess_never_hands_off_a_happy_answered_customer() -> None:
    convo = [
        turn("hi", "greet", sentiment=0.2),
        turn("how do I reset my password", "password_reset", bot_reply_kinds=("kb_answer",)),
        turn("thanks that worked", "thanks", sentiment=0.6, bot_reply_kinds=("reply",)),
    ]
    for i in range(len(convo)):
        assert not assess(convo[:i], convo[i]).handoff


def test_low_confidence_two_unsure_turns_without_an_answer() -> None:
    from escalation.triggers import low_confidence

    d = low_confidence([turn("hmm", "outage", 0.4, bot_reply_kinds=("clarify",))],
                       turn("erm", "outage", 0.3, bot_reply_kinds=("no_answer",)), S)
    assert d is not None
    assert (d.trigger, d.reason) == ("low_confidence", "The assistant was unsure two turns in a row (40%, 30%): 'erm'")
