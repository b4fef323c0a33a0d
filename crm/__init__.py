"""Customers, identities, agents, conversations, messages and cases: the interaction history.

Imports only core.
"""

from crm import store
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

__all__ = [
    "Agent",
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
    "customer_export",
    "erase_customer_records",
    "hash_password",
    "migrate",
    "store",
    "verify_password",
]
