"""The support lexicon: fault words describe the fault; mood, repeats and emphasis still read as mood."""

from __future__ import annotations

import pytest

from bot.nlu import support_lexicon
from bot.nlu.sentiment import VaderSentiment, get_sentiment
from escalation.settings import EscalationSettings


def fires(s: dict) -> bool:
    """Whether the policy's negative_sentiment rule would fire on this analysis (default settings)."""
    settings = EscalationSettings()
    return s["compound"] <= settings.negative_sentiment or s["frustration"] >= settings.frustration


@pytest.mark.parametrize("text", [
    "the hub is dead after the power cut",
    "my phone line died overnight",
    "the tablet shows an error when it syncs",
    "the top-up failed, shall I try another card",
    "looks like the splitter is broken",
    "I lost the letter with my account number",
    "there's a problem with the signal in the garage",
    "my booking got cancelled somehow",
    "the screen is stuck on the logo",
    "no picture on channel 5",
])
def test_calm_fault_report_is_neither_negative_nor_upset(text: str) -> None:
    support, plain = VaderSentiment().analyze(text), VaderSentiment(support_lexicon=False).analyze(text)
    assert support["label"] != "negative" and not fires(support)
    assert plain["vader"] < support["vader"]  # VADER's own lexicon read the fault as mood


@pytest.mark.parametrize("text", [
    "this is a total joke, the hub is dead again",
    "you are useless, the line died and nobody came",
    "I'm fed up, the top-up failed for the third time",
    "absolutely pathetic service, still broken",
    "I'm livid, you cancelled my visit without a word",
])
def test_upset_customer_naming_a_fault_is_still_upset(text: str) -> None:
    s = VaderSentiment().analyze(text)
    assert s["label"] == "negative" and fires(s)


def test_fault_word_in_capitals_still_adds_emphasis() -> None:
    analyzer = VaderSentiment()
    calm, shouted = analyzer.analyze("the hub is dead")["vader"], analyzer.analyze("the hub is DEAD")["vader"]
    assert calm > -0.3 and shouted < calm


def test_joke_and_kidding_read_as_complaints_not_praise() -> None:
    support, plain = VaderSentiment(), VaderSentiment(support_lexicon=False)
    for text in ("what a joke", "are you kidding me"):
        assert plain.analyze(text)["vader"] > 0 > support.analyze(text)["vader"]


def test_adapt_scales_fault_words_and_sets_mood_words() -> None:
    lexicon = {"dead": -3.3, "broken": -2.1, "awful": -2.0, "joke": 1.2}
    support_lexicon.adapt(lexicon)
    assert lexicon == {"dead": -0.825, "broken": -0.525, "awful": -2.0, "joke": -2.0, "joking": -1.5,
                       "kidding": -1.5, "unbelievable": -2.0, "nightmare": -2.2, "shambles": -2.2,
                       "disgraceful": -2.4, "rubbish": -2.0, "hopeless": -2.0}


def test_get_sentiment_vader_plain_keeps_vaders_own_lexicon() -> None:
    plain = get_sentiment("vader_plain")
    assert isinstance(plain, VaderSentiment) and plain.support_lexicon is False
    assert get_sentiment("vader").analyze("the hub is dead")["vader"] > plain.analyze("the hub is dead")["vader"]
