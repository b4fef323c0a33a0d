"""The follow-up jobs' logic: remind the owner, escalate a missed promise, deliver customer messages.

Every job claims its step with a compare-and-set on the database before it acts, so a job that is
run twice (a restart, two schedulers, a retried run) has its effect exactly once. Time comes from
an injected clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import update

from core.db import Database, utcnow
from core.events import EventBus, events
from crm import Agent, AttemptKind, Case, Customer, FollowUpAttempt, Outcome
from crm.customer_time import tenant_timezone
from escalation.hours import describe, next_opening
from followup import texts
from followup.promises import (
    adopt_after_hours,
    announce,
    attempt,
    customer_routes,
    person_updated_since,
    renew,
    team_lead,
    timezone_of,
)
from followup.settings import FollowUpSettings

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class Mailer(Protocol):
    def send(self, message: Any) -> Any: ...


class FollowUps:
    """Plain follow-up steps over the database; the scheduler calls them, tests call them directly."""

    def __init__(self, db: Database, bus: EventBus, *, mailer: Mailer | None = None, clock: Clock = utcnow,
                 settings: FollowUpSettings | None = None) -> None:
        self.db, self.bus, self.mailer, self.clock = db, bus, mailer, clock
        self.settings = settings or FollowUpSettings()
        # Set by the scheduler: plan a delivery retry of attempt_id at a time.
        self.plan_delivery: Callable[[int, datetime | None], None] = lambda attempt_id, at: None

    # -- promises ---------------------------------------------------------------------------------

    def adopt_after_hours(self, case_number: str) -> None:
        with self.db.session() as s:
            adopt_after_hours(s, self.bus, case_number, self.clock())

    def _claim(self, s: Any, case_id: int, version: int, stages: tuple[str, ...], to: str) -> Case | None:
        result = s.execute(update(Case).where(Case.id == case_id, Case.promise_version == version,
                                              Case.status == "open", Case.followup_stage.in_(stages))
                           .values(followup_stage=to).execution_options(synchronize_session=False))
        if not result.rowcount:
            return None
        case = s.get(Case, case_id)
        s.refresh(case)
        return case  # type: ignore[no-any-return]

    def remind(self, case_id: int, version: int, due_at: datetime | None = None) -> str:
        """Before the due time: remind the owner (or the lead when nobody owns it) in the console."""
        with self.db.session() as s:
            case = self._claim(s, case_id, version, ("promised",), "reminded")
            if case is None:
                return "skipped"
            if person_updated_since(s, case):
                return "kept"
            owner = s.get(Agent, case.assigned_agent_id) if case.assigned_agent_id else None
            who = owner or team_lead(s, owner)
            assert case.promised_by is not None
            text = (f"Reminder: case {case.number} is due by {describe(case.promised_by, timezone_of(who))}. "
                    f"Promised: {case.promise_text or case.title}")
            attempt(s, self.bus, case, kind=AttemptKind.REMINDER, channel="console",
                    target=who.display_name if who else "", agent_id=who.id if who else None,
                    outcome=Outcome.DELIVERED, text=text, due_at=due_at, at=self.clock())
            self.bus.emit_after_commit(s, events.CASE_REMINDER_DUE, case.conversation_id, case_number=case.number,
                                       agent_id=who.id if who else None, text=text,
                                       due=case.promised_by.isoformat())
        return "reminded"

    def due(self, case_id: int, version: int, due_at: datetime | None = None) -> str:
        """At the due time: if no person has updated the customer, alert the lead and tell the customer honestly."""
        now = self.clock()
        with self.db.session() as s:
            case = self._claim(s, case_id, version, ("promised", "reminded"), "due_done")
            if case is None:
                return "skipped"
            if person_updated_since(s, case):
                attempt(s, self.bus, case, kind=AttemptKind.KEPT, channel="none", outcome=Outcome.NOT_NEEDED,
                        text="A person updated the customer before the due time.", due_at=due_at, at=now)
                return "kept"
            customer = s.get(Customer, case.customer_id)
            assert customer is not None and case.promised_by is not None
            owner = s.get(Agent, case.assigned_agent_id) if case.assigned_agent_id else None
            lead = team_lead(s, owner)
            tz = timezone_of(lead or owner)  # the lead's alert, in the lead's zone
            old_due, new_due = case.promised_by, self._new_time(lead, now)
            message = texts.overdue(case.number, owner.display_name if owner else None, old_due, new_due,
                                    lead.display_name if lead else None, tenant_timezone(s), case.promise_text)
            reach = (f" They asked to be called on {customer.phone}." if case.contact_method == "phone"
                     and customer.phone else "")
            alert = (f"Case {case.number} is overdue: {owner.display_name if owner else 'nobody'} promised "
                     f"{customer.name or 'the customer'} an update by {describe(old_due, tz)} and nobody has "
                     f"written since. The case is yours now; the customer was told we'll be back by "
                     f"{describe(new_due, tz)}.{reach}")
            attempt(s, self.bus, case, kind=AttemptKind.ESCALATION, channel="console",
                    target=lead.display_name if lead else "", agent_id=lead.id if lead else None,
                    outcome=Outcome.DELIVERED, text=alert, due_at=due_at, at=now)
            for channel, target in customer_routes(case, customer):
                attempt(s, self.bus, case, kind=AttemptKind.CUSTOMER_NOTICE, channel=channel, target=target,
                        outcome=Outcome.PENDING if channel == "widget" else Outcome.QUEUED, text=message,
                        tries=0, due_at=due_at, at=now)
            self.bus.emit_after_commit(s, events.CASE_OVERDUE, case.conversation_id, case_number=case.number,
                                       agent_id=lead.id if lead else None,
                                       owner_id=owner.id if owner else None, text=alert,
                                       new_due=new_due.isoformat())
            # The lead now owns a new promise: the new time the customer was just given.
            case.assigned_agent_id = lead.id if lead else case.assigned_agent_id
            case.promised_by = new_due
            renew(case, now)
            announce(s, self.bus, case)
        return "escalated"

    def _new_time(self, lead: Agent | None, now: datetime) -> datetime:
        earliest = now + timedelta(minutes=self.settings.new_time_minutes)
        if lead is None:
            return earliest
        opening = next_opening(lead.working_hours or {}, timezone_of(lead), earliest)
        return opening or earliest

    # -- delivery ---------------------------------------------------------------------------------

    def deliver(self, attempt_id: int) -> str:
        """Send one queued customer email; on failure retry later with backoff, and finally tell people."""
        with self.db.session() as s:
            claimed = s.execute(update(FollowUpAttempt).where(FollowUpAttempt.id == attempt_id,
                                                              FollowUpAttempt.outcome == Outcome.QUEUED)
                                .values(outcome=Outcome.SENDING).execution_options(synchronize_session=False))
            if not claimed.rowcount:  # type: ignore[attr-defined]
                return "skipped"
            row = s.get(FollowUpAttempt, attempt_id)
            assert row is not None
            s.refresh(row)
            case = s.get(Case, row.case_id)
            assert case is not None
            to, text, number = row.target, row.text, case.number
        ok, tries, error = self._send(to, self.settings.email_subject.format(number=number), texts.email_body(text))
        with self.db.session() as s:
            row = s.get(FollowUpAttempt, attempt_id)
            case = s.get(Case, row.case_id) if row else None
            assert row is not None and case is not None
            row.tries, row.error, row.at = tries, error, self.clock()
            if ok:
                row.outcome = Outcome.DELIVERED
                outcome = "delivered"
            elif self.mailer is not None and row.retry_no < len(self.settings.retry_delays_seconds):
                row.outcome, row.retry_state = Outcome.RETRYING, "scheduled"
                delay = self.settings.retry_delays_seconds[row.retry_no]
                retry = attempt(s, self.bus, case, kind=row.kind, channel=row.channel, target=row.target,
                                outcome=Outcome.QUEUED, text=row.text, tries=0, retry_no=row.retry_no + 1,
                                at=self.clock(), agent_id=row.agent_id)
                retry_id = retry.id
                outcome = "retrying"
            else:
                row.outcome = Outcome.FAILED
                owner = s.get(Agent, case.assigned_agent_id) if case.assigned_agent_id else None
                who = owner or team_lead(s, owner)
                attempt(s, self.bus, case, kind=AttemptKind.DELIVERY_FAILED, channel="console",
                        target=who.display_name if who else "", agent_id=who.id if who else None,
                        outcome=Outcome.DELIVERED, at=self.clock(),
                        text=f"Case {case.number}: the email to {row.target} could not be delivered "
                             f"after {row.retry_no + 1} attempt(s) ({error}). Please reach the customer another way.")
                outcome = "failed"
            self.bus.emit_after_commit(s, events.CASE_UPDATED, case.conversation_id, case_number=case.number,
                                       agent_id=case.assigned_agent_id)
        if outcome == "retrying":
            self.plan_delivery(retry_id, utcnow() + timedelta(seconds=delay))
        return outcome

    def _send(self, to: str, subject: str, body: str) -> tuple[bool, int, str | None]:
        if self.mailer is None:
            return False, 0, "no SMTP server is configured (FIRSTLINE_OUTBOUND_SMTP_HOST)"
        from outbound import EmailMessage

        try:
            delivery = self.mailer.send(EmailMessage(to, subject, body))
        except Exception as exc:  # the mailer promises not to raise; a bug there must not lose the attempt
            log.exception("mailer raised")
            return False, 1, f"{type(exc).__name__}: {exc}"
        return bool(delivery.ok), int(delivery.attempts or 0), delivery.error
