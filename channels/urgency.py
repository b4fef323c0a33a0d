"""How urgent a complaint is, and why: words that mean people are stuck or at risk, negativity, and reach."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# Each group adds once, however often its words appear.
SIGNS: dict[str, re.Pattern[str]] = {
    "delayed": re.compile(r"\b(delay(ed|s)?|late|waiting for hours|hours? late)\b", re.I),
    "cancelled": re.compile(r"\b(cancel+ed|cancel+ation)\b", re.I),
    "stranded": re.compile(r"\b(stranded|stuck|trapped|left behind)\b", re.I),
    "children on board": re.compile(r"\b(child|children|kids?|bab(y|ies)|toddlers?|infants?)\b", re.I),
    "medical need": re.compile(r"\b(medical|medicine|medication|insulin|hospital|ambulance|disabled|wheelchair|"
                               r"pregnant|elderly|oxygen|carer)\b", re.I),
    "safety": re.compile(r"\b(unsafe|danger(ous)?|emergency|fire|injur(ed|y)|hurt)\b", re.I),
    "no service": re.compile(r"\b(no (internet|service|power|connection|signal|heating|water)|outage|"
                             r"(internet|service|line) (is )?down)\b", re.I),
}
WORD_POINTS, WORD_CAP = 15, 45
NEGATIVITY_POINTS = 30  # for a compound sentiment of -1
REACH_POINTS, REACH_CAP = 5, 25  # per tenfold followers: 10,000 followers = 20


@dataclass(frozen=True)
class Urgency:
    score: int  # 0-100
    signs: tuple[str, ...]
    tone: str
    followers: int
    explanation: str  # "10,000 followers, negative, mentions delayed, children on board"

    def as_dict(self) -> dict[str, object]:
        return {"score": self.score, "signs": list(self.signs), "tone": self.tone, "followers": self.followers,
                "explanation": self.explanation}


def tone_of(compound: float) -> str:
    if compound <= -0.6:
        return "very negative"
    if compound <= -0.05:
        return "negative"
    return "positive" if compound >= 0.05 else "neutral"


def score(text: str, sentiment: float, followers: int) -> Urgency:
    """Score a complaint 0-100 from its wording, its sentiment (VADER compound) and its reach."""
    signs = tuple(name for name, pattern in SIGNS.items() if pattern.search(text))
    points = min(WORD_CAP, WORD_POINTS * len(signs))
    points += NEGATIVITY_POINTS * max(0.0, -sentiment)
    points += min(REACH_CAP, REACH_POINTS * math.log10(1 + max(0, followers)))
    tone = tone_of(sentiment)
    parts = [f"{followers:,} follower{'s' if followers != 1 else ''}", tone]
    if signs:
        parts.append("mentions " + ", ".join(signs))
    return Urgency(min(100, round(points)), signs, tone, followers, ", ".join(parts))
