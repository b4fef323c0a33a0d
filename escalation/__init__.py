"""Escalation: triggers with reasons, the policy, routing to a named person, the packet, ownership changes.

Uses crm and core; never imports web or actions.
"""

from escalation.cases import CONTACT_OPTIONS, record_contact_choice
from escalation.policy import assess
from escalation.queue import QueueStatus, queue_status, queue_statuses
from escalation.routing import choose_agent
from escalation.service import (
    HandoffResult,
    accept,
    hand_back,
    hand_off,
    reroute,
    resolve,
    transfer,
)
from escalation.settings import EscalationSettings
from escalation.subscribers import register
from escalation.turns import CustomerFacts, Decision, Turn, since_bot_resumed, turn_from_parse, turns_from_messages

__all__ = [
    "CONTACT_OPTIONS",
    "CustomerFacts",
    "Decision",
    "EscalationSettings",
    "HandoffResult",
    "QueueStatus",
    "Turn",
    "accept",
    "assess",
    "choose_agent",
    "hand_back",
    "hand_off",
    "queue_status",
    "queue_statuses",
    "record_contact_choice",
    "register",
    "reroute",
    "resolve",
    "since_bot_resumed",
    "transfer",
    "turn_from_parse",
    "turns_from_messages",
]
