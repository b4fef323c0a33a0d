"""The one sort key of the agents' inbox: most urgent first, then the longest wait (issue 14).

Kept in one function so other signals (a surge priority, an SLA) extend it in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TRIGGER_TAGS", "InboxItem", "reason_tag", "urgency", "urgency_key"]

# Short tags for the handoff reason, as the inbox shows them.
TRIGGER_TAGS = {
    "asked_for_human": "asked for a person",
    "negative_sentiment": "upset",
    "sentiment_drop": "mood dropped",
    "sensitive_intent": "sensitive",
    "repeated_fallback": "not understood",
    "not_helpful_twice": "answers didn't help",
    "rephrase_loop": "repeating",
    "out_of_scope_twice": "out of scope",
    "low_confidence": "bot unsure",
    "customer_rule": "VIP / open case",
    "dialogue_unavailable": "bot down",
    "transfer": "transferred",
    "reroute": "re-routed",
    "public_post": "public post",
}
UPSET = {"negative_sentiment", "sentiment_drop", "sensitive_intent"}


def reason_tag(trigger: str | None) -> str:
    return TRIGGER_TAGS.get(trigger or "", (trigger or "").replace("_", " "))


@dataclass(frozen=True)
class InboxItem:
    """What the sort needs to know about one conversation in the inbox."""

    waiting: bool  # nobody is with the customer yet (queued)
    waited_seconds: int
    unread: int
    vip: bool
    trigger: str | None
    priority: int = 0  # a public post's urgency and reach (channels/urgency.py); 0 for chats


def urgency(item: InboxItem) -> int:
    """Higher is more urgent: an upset or VIP customer nobody is with yet comes first."""
    score = 0
    if item.waiting:
        score += 2
    if item.trigger in UPSET:
        score += 2
    if item.vip:
        score += 2
    if item.unread:
        score += 1
    return score


def urgency_key(item: InboxItem) -> tuple[int, int, int]:
    """Sort key: a public post by its score first (it is seen by others), then most urgent, then longest wait."""
    return (-item.priority, -urgency(item), -item.waited_seconds)
