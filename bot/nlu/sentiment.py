"""Sentiment of a chat message: VADER plus the frustration signals VADER misses in support chat."""

from __future__ import annotations

import re
import threading
from typing import Any, Protocol

from bot.nlu.support_lexicon import adapt

SIGNALS: dict[str, re.Pattern[str]] = {
    "repeat_complaint": re.compile(
        r"\b(third|fourth|fifth|\d+(st|nd|rd|th)) time\b|\bstill (not|no|isn|hasn|doesn|broken|waiting)|"
        r"\b(already|keep) (told|asked|said|explained)|\bhow many times\b|\bevery (day|time|week)\b.*\b(same|again)\b",
        re.I,
    ),
    "again": re.compile(r"\bagain\b.*\?", re.I),
    "insult": re.compile(
        r"\b(useless|ridiculous|pathetic|joke|rubbish|incompetent|waste of (my )?time|"
        r"shambles|disgrace|terrible service|worst)\b",
        re.I,
    ),
    "threat": re.compile(
        r"\b(ombudsman|ofcom|twitter|social media|review(s)? everywhere|post (this|it)|"
        r"solicitor|lawyer|legal action|trading standards)\b",
        re.I,
    ),
    "impatience": re.compile(
        r"\b(fed up|sick (and tired|of)|had enough|losing (my )?patience|patience (has )?run out|"
        r"have to chase|chasing you|unacceptable|furious|livid)\b",
        re.I,
    ),
    "ignored": re.compile(
        r"\b(nobody|no one|no-one)( has)?( ever)? (called|calls|rang|answers?|answered|replied|replies|got back)\b",
        re.I,
    ),
    "punctuation": re.compile(r"(\?!|!\?|!!|\?\?\?)"),
}
# Strong signals mean frustration on their own; weak ones (emphasis, a repeat) only together or with
# negative wording. Each adds its weight to the frustration score (0..1); the policy's threshold is 0.75.
WEIGHTS = {"insult": 0.8, "threat": 0.8, "impatience": 0.8, "ignored": 0.8,
           "repeat_complaint": 0.8, "again": 0.4, "punctuation": 0.4, "all_caps": 0.4}


class SentimentAnalyzer(Protocol):
    def analyze(self, text: str) -> dict[str, Any]:
        """Return compound (-1..1), label, frustration (0..1) and the frustration signals found."""
        ...


def _all_caps(text: str) -> bool:
    words = [w for w in re.findall(r"[A-Za-z]{3,}", text)]
    return len(words) >= 2 and sum(w.isupper() for w in words) / len(words) >= 0.6


class VaderSentiment:
    """VADER compound score (its lexicon adjusted for support chat), with frustration signals on top."""

    def __init__(self, support_lexicon: bool = True) -> None:
        self._lock = threading.Lock()
        self._vader: Any = None
        self.support_lexicon = support_lexicon

    def _analyzer(self) -> Any:
        with self._lock:
            if self._vader is None:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                vader = SentimentIntensityAnalyzer()
                if self.support_lexicon:
                    # Fault words ("dead", "broken", "failed") describe the fault, not the mood (issue 13).
                    adapt(vader.lexicon)
                self._vader = vader
            return self._vader

    def analyze(self, text: str) -> dict[str, Any]:
        compound = float(self._analyzer().polarity_scores(text)["compound"]) if text else 0.0
        signals = [name for name, rx in SIGNALS.items() if rx.search(text)]
        if _all_caps(text):
            signals.append("all_caps")
        frustration = min(1.0, max(0.0, -compound) * 0.6 + sum(WEIGHTS[name] for name in signals))
        # A polite sentence with frustration signals is still frustrated: let signals pull the score down.
        adjusted = max(-1.0, compound - 0.25 * len(signals)) if signals else compound
        label = "negative" if adjusted <= -0.3 else "positive" if adjusted >= 0.3 else "neutral"
        return {
            "compound": round(adjusted, 4),
            "vader": round(compound, 4),
            "label": label,
            "frustration": round(frustration, 4),
            "signals": signals,
        }


class NoSentiment:
    """Sentiment switched off: always neutral, no signals."""

    def analyze(self, text: str) -> dict[str, Any]:
        return {"compound": 0.0, "vader": 0.0, "label": "neutral", "frustration": 0.0, "signals": []}


def get_sentiment(name: str) -> SentimentAnalyzer:
    """Return the sentiment analyser named by the settings ("vader", "vader_plain" or "none")."""
    if name == "vader":
        return VaderSentiment()
    if name == "vader_plain":  # VADER's own lexicon, fault words scored as mood
        return VaderSentiment(support_lexicon=False)
    if name == "none":
        return NoSentiment()
    raise ValueError(f"unknown sentiment analyser {name!r} (use 'vader', 'vader_plain' or 'none')")
