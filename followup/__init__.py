"""Promises that are kept: cases with an owner and a due time, followed up by a persistent scheduler.

Uses crm, escalation and core (and the outbound package to email customers); never imports web or actions.
"""

from followup.promises import (
    CONTACT_ROUTES,
    PromiseError,
    PromiseIn,
    PromiseKind,
    customer_notices,
    make_promise,
    person_updated_since,
    post_update,
    team_lead,
)
from followup.scheduler import PromiseScheduler, start_followups
from followup.service import FollowUps
from followup.settings import FollowUpSettings

__all__ = [
    "CONTACT_ROUTES",
    "FollowUpSettings",
    "FollowUps",
    "PromiseError",
    "PromiseIn",
    "PromiseKind",
    "PromiseScheduler",
    "customer_notices",
    "make_promise",
    "person_updated_since",
    "post_update",
    "start_followups",
    "team_lead",
]
