"""Rerank the top passages by what the question asks (how to / how often / why / how much / when / what
it means) against each passage's heading, on top of the calibrated topic score (issue 13).

"how do I restart my router?" and "How often should I restart it?" share every topic word; only the
question's type tells them apart. Two features adjust the calibrated log-odds of each of the top
passages: whether the question's type matches the heading's (+1), contradicts it (-1) or either has
none (0), and the share of the heading's content words the question uses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import replace

from knowledge_base.answering import Hit

# Order matters: the first type that matches wins ("how often should I restart" is how_often, not how_to).
QUESTION_TYPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("how_often", re.compile(r"\bhow often\b|\bhow many times\b|\bevery (day|week|month|night)\b|\bregularly\b", re.I)),
    ("how_much", re.compile(r"\bhow much\b|\bcosts?\b|\bprices?\b|\bfees?\b|\bper month\b|\bcredit\b", re.I)),
    ("when", re.compile(r"^\s*when\b|\bwhen (do|does|will|is|are|can)\b|\bwhat times?\b|\bhow (long|soon)\b", re.I)),
    ("why", re.compile(r"\bwhy\b", re.I)),
    ("meaning", re.compile(r"\bwhat (does|do|is) .*\bmean|\bmeans?\b|\bmeaning\b", re.I)),
    ("how_to", re.compile(r"\bhow (do|can|should|would|to)\b|\bhow i\b|\bway to\b|\bset ?up\b|\bsteps?\b", re.I)),
)
STOP = frozenset(
    "a an the to of in on for and or your you my i me is are it its if do does what when why how can with "
    "there this that be we our at by from after before still not no get".split()
)


def question_type(text: str) -> str | None:
    """Return what kind of answer the text asks for (or a heading offers), or None."""
    for name, rx in QUESTION_TYPES:
        if rx.search(text):
            return name
    return None


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP}


def features(query: str, heading: str) -> tuple[float, float]:
    """Return (type agreement in -1/0/+1, share of the heading's content words in the query)."""
    qt, ht = question_type(query), question_type(heading)
    agree = 0.0 if qt is None or ht is None else (1.0 if qt == ht else -1.0)
    words = content_words(heading)
    overlap = len(words & content_words(query)) / len(words) if words else 0.0
    return agree, overlap


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def rerank(query: str, hits: Sequence[Hit], type_weight: float, heading_weight: float, depth: int) -> list[Hit]:
    """Return hits with the top depth rescored by question type and heading match, best first."""
    if not hits or depth <= 0 or (type_weight == 0 and heading_weight == 0):
        return list(hits)
    head, tail = list(hits[:depth]), list(hits[depth:])
    rescored = []
    for h in head:
        agree, overlap = features(query, h.heading)
        z = _logit(h.score) + type_weight * agree + heading_weight * overlap
        rescored.append(replace(h, score=round(1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0))), 4)))
    rescored.sort(key=lambda h: (-h.score, h.rank))
    return [replace(h, rank=i + 1) for i, h in enumerate(rescored)] + tail
