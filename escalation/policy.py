"""The escalation policy: every trigger, in order of urgency; the first that fires decides."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.embedding import Embedder
from escalation import triggers as t
from escalation.settings import EscalationSettings
from escalation.turns import NO_HANDOFF, CustomerFacts, Decision, Turn


def assess(
    history: Sequence[Turn],
    current: Turn,
    *,
    customer: CustomerFacts | None = None,
    settings: EscalationSettings | None = None,
    embedder: Embedder | None = None,
    dialogue_available: bool = True,
    dissatisfaction: Any = None,
) -> Decision:
    """Decide whether this turn should go to a person, and why (pure: no I/O but the embedder)."""
    s = settings or EscalationSettings()
    customer = customer or CustomerFacts()
    if not dialogue_available:
        return Decision(True, "dialogue_unavailable", "The assistant (Rasa) was unreachable or too slow")
    for decision in (
        t.asked_for_human(current, s),
        t.sensitive(current, s),
        t.upset(history, current, s),
        t.dissatisfied(history, current, dissatisfaction, embedder),
        t.not_helpful(history, current),
        t.repeated_fallback(history, current),
        t.rephrase_loop(history, current, s, embedder),
        t.out_of_scope_twice(history, current),
        t.low_confidence(history, current, s),
        t.customer_rule(current, customer, s),
    ):
        if decision is not None:
            return decision
    return NO_HANDOFF
