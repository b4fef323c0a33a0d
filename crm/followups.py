"""Tables of kept promises: every follow-up attempt on a case, and who leads each team (issue 10)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class AttemptKind:
    REMINDER = "reminder"  # the owner, before the due time (console)
    ESCALATION = "escalation"  # the team lead, at the due time with no update (console)
    CUSTOMER_NOTICE = "customer_notice"  # the customer: what is happening and the new time
    CUSTOMER_UPDATE = "customer_update"  # the customer: a person's update on the case
    KEPT = "kept"  # due time reached and a person had already updated the customer
    DELIVERY_FAILED = "delivery_failed"  # staff told that a customer message could not be delivered

    ALL = (REMINDER, ESCALATION, CUSTOMER_NOTICE, CUSTOMER_UPDATE, KEPT, DELIVERY_FAILED)


class Outcome:
    QUEUED = "queued"  # email: waiting for the scheduler to send it
    SENDING = "sending"  # email: one process has claimed it
    DELIVERED = "delivered"
    PENDING = "pending"  # widget: waits for the customer's next visit
    SHOWN = "shown"  # widget: the customer's next visit showed it
    RETRYING = "retrying"  # failed; a retry is scheduled
    FAILED = "failed"  # failed for good (after every retry); people were told
    NOT_NEEDED = "not_needed"


class FollowUpAttempt(Base):
    """One attempt to keep a promise: when, on which channel, to whom, what came of it."""

    __tablename__ = "followup_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    promise_version: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))  # console | email | widget | phone | none
    target: Mapped[str] = mapped_column(String(320), default="")  # an address, or a staff member's name
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)  # staff alerted
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    tries: Mapped[int] = mapped_column(Integer, default=1)  # delivery tries inside this attempt
    retry_no: Mapped[int] = mapped_column(Integer, default=0)  # 0 = first attempt, 1.. = retries
    retry_state: Mapped[str] = mapped_column(String(16), default="")  # "" | scheduled | done
    text: Mapped[str] = mapped_column(Text, default="")  # customer-facing text, or the alert for staff
    due_at: Mapped[datetime | None] = mapped_column()  # when the job was due (scheduler lag = at - due_at)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime | None] = mapped_column()  # widget notice shown / console alert dismissed


class TeamLead(Base):
    """Who leads a team: overdue promises of its members escalate to them ("*" = everyone else's lead)."""

    __tablename__ = "team_leads"

    team: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
