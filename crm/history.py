"""What the customer may be told about their own records: cases as they stand, booked visits.

Only text a person wrote to the customer is ever quoted; a case's notes are internal and never leave here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import Case, Customer, Message, Sender

__all__ = ["CaseView", "Visit", "case_view", "upcoming_visit"]


@dataclass(frozen=True)
class CaseView:
    number: str
    title: str
    status: str  # open | closed
    promised_by: datetime | None
    overdue: bool  # open, and the promised time has passed
    last_person_text: str | None  # the last thing a person (agent) wrote to the customer on it
    last_person_name: str | None
    last_person_at: datetime | None


@dataclass(frozen=True)
class Visit:
    starts: datetime
    ends: datetime | None
    case_number: str | None


def case_view(session: Session, case: Case, now: datetime) -> CaseView:
    """The customer-facing state of a case: never its internal notes."""
    last: Message | None = None
    if case.conversation_id:
        last = session.scalar(select(Message).where(Message.conversation_id == case.conversation_id,
                                                    Message.sender == Sender.AGENT)
                              .order_by(Message.id.desc()).limit(1))
    overdue = case.status == "open" and case.promised_by is not None and case.promised_by < now
    return CaseView(case.number, case.title, case.status, case.promised_by, overdue,
                    last.text if last else None, (last.meta or {}).get("agent_name") if last else None,
                    last.created_at if last else None)


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def upcoming_visit(customer: Customer, now: datetime) -> Visit | None:
    """The customer's next booked engineer visit that has not ended yet, if any."""
    visits = []
    for a in (customer.profile or {}).get("appointments") or []:
        if not isinstance(a, dict) or a.get("kind") != "engineer_visit":
            continue
        starts, ends = _when(a.get("starts")), _when(a.get("ends"))
        if starts is None or (ends or starts) < now:
            continue
        visits.append(Visit(starts, ends, a.get("case")))
    return min(visits, key=lambda v: v.starts) if visits else None
