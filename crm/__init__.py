"""Customers, identities, agents, conversations, messages and cases: the interaction history.

Imports only core.
"""

from crm import store
from crm.followups import AttemptKind, FollowUpAttempt, Outcome, TeamLead
from crm.models import (
    Agent,
    Case,
    Conversation,
    ConversationStatus,
    Customer,
    EventRecord,
    Handoff,
    Identity,
    Message,
    Sender,
)
from crm.passwords import hash_password, verify_password
from crm.privacy import Erasure, customer_export, erase_customer_records
from crm.schema import migrate
from crm.store import NotFound
from crm.verification_models import VerificationAttempt, VerificationChallenge
from crm.workspace import AssistSuggestion, CannedReply, ConversationRead, GapDismissal, TenantSetting

__all__ = [
    "Agent",
    "AttemptKind",
    "FollowUpAttempt",
    "Outcome",
    "TeamLead",
    "Case",
    "Conversation",
    "ConversationStatus",
    "Customer",
    "Erasure",
    "EventRecord",
    "Handoff",
    "Identity",
    "Message",
    "NotFound",
    "Sender",
    "VerificationAttempt",
    "VerificationChallenge",
    "customer_export",
    "erase_customer_records",
    "hash_password",
    "migrate",
    "store",
    "verify_password",
    # issue 14: the agents' workspace
    "AssistSuggestion",
    "CannedReply",
    "ConversationRead",
    "GapDismissal",
    "TenantSetting",
]
