from __future__ import annotations

import pytest

from bot.nlu.sentiment import NoSentiment, VaderSentiment, get_sentiment


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("this is the third time I'm asking", "repeat_complaint"),
        ("your service is useless", "insult"),
        ("I'll post this on twitter", "threat"),
        ("WHY IS NOTHING WORKING", "all_caps"),
        ("hello?!", "punctuation"),
    ],
)
def test_analyze_finds_frustration_signals_vader_misses(text: str, signal: str) -> None:
    s = VaderSentiment().analyze(text)
    assert signal in s["signals"]
    assert s["compound"] < s["vader"]  # the signal lowers VADER's own score


def test_analyze_polite_message_is_positive_without_signals() -> None:
    s = VaderSentiment().analyze("thanks, that was really helpful")
    assert (s["label"], s["signals"]) == ("positive", [])


def test_analyze_empty_text_is_neutral() -> None:
    assert VaderSentiment().analyze("") == {"compound": 0.0, "vader": 0.0, "label": "neutral", "frustration": 0.0,
                                            "signals": []}


def test_get_sentiment_by_name() -> None:
    assert isinstance(get_sentiment("vader"), VaderSentiment)
    assert isinstance(get_sentiment("none"), NoSentiment)
    with pytest.raises(ValueError):
        get_sentiment("textblob")


@pytest.mark.parametrize(
    ("text", "frustrated"),
    [
        ("this is a joke", True),  # one strong signal is enough
        ("I'm so fed up with this", True),
        ("nobody ever calls back", True),
        ("I already told you my account number", True),
        ("can I pay again tomorrow?", False),  # a weak signal alone is not
        ("WHERE IS MY ORDER", False),
        ("WHERE IS MY ORDER?!", True),  # two weak signals together are
    ],
)
def test_frustration_crosses_the_policy_threshold_on_strong_or_combined_signals(text: str, frustrated: bool) -> None:
    from escalation.settings import EscalationSettings

    assert (VaderSentiment().analyze(text)["frustration"] >= EscalationSettings().frustration) is frustrated
