"""Keep personal data and non-questions out of the gaps report (issue 14)."""

from __future__ import annotations

import re

__all__ = ["NOT_KNOWLEDGE_INTENTS", "mask_pii"]

# A complaint or a request for a person is for people to handle, not an article to write.
NOT_KNOWLEDGE_INTENTS = {"complaint", "request_human", "goodbye", "thanks", "greet", "affirm", "deny"}

_PATTERNS = [
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
    (re.compile(r"\b(?:\d[ -]?){13,19}\b"), "[card number]"),
    (re.compile(r"(?<!\w)\+?\d[\d ()-]{7,}\d"), "[phone]"),
    (re.compile(r"\b[A-Z]{2}\d{6,}\b"), "[account]"),
    (re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b"), "[postcode]"),
]


def mask_pii(text: str) -> str:
    """Replace emails, card, phone and account numbers and UK postcodes with a label."""
    for pattern, label in _PATTERNS:
        text = pattern.sub(label, text)
    return text
