"""Escalation: triggers with reasons, the policy, routing to a named person, the packet, ownership changes.

Uses crm and core; never imports web or actions.
"""

from escalation.policy import assess
from escalation.routing import choose_agent
from escalation.service import (
    CONTACT_OPTIONS,
    HandoffResult,
    accept,
    hand_back,
    hand_off,
    record_contact_choice,
    resolve,
    transfer,
)
from escalation.settings import EscalationSettings
from escalation.turns import CustomerFacts, Decision, Turn, since_bot_resumed, turn_from_parse, turns_from_messages

__all__ = [
    "CONTACT_OPTIONS",
    "CustomerFacts",
    "Decision",
    "EscalationSettings",
    "HandoffResult",
    "Turn",
    "accept",
    "assess",
    "choose_agent",
    "hand_back",
    "hand_off",
    "record_contact_choice",
    "resolve",
    "since_bot_resumed",
    "transfer",
    "turn_from_parse",
    "turns_from_messages",
]
