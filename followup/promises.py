"""Promises as cases: who owns one, when it is due, what was promised, how to reach the customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.events import EventBus, events
from crm import (
    Agent,
    AttemptKind,
    Case,
    Conversation,
    Customer,
    FollowUpAttempt,
    Message,
    Outcome,
    Sender,
    TeamLead,
    store,
)
from crm.customer_time import tenant_timezone
from escalation.cases import say
from escalation.hours import next_opening
from followup import texts


class PromiseKind:
    AFTER_HOURS = "after_hours"  # nobody could chat: a person gets back by the promised time
    AGENT = "agent"  # an agent's "I'll update you by Wednesday 5pm"
    TECHNICIAN = "technician"  # an engineer visit slot

    ALL = (AFTER_HOURS, AGENT, TECHNICIAN)


CONTACT_ROUTES = ("widget", "email")  # how a promise reaches the customer (phone: the lead is asked to call)
MAX_WHAT = 500


class PromiseError(ValueError):
    """The promise cannot be recorded as asked (the message says why, for the agent)."""


@dataclass(frozen=True)
class PromiseIn:
    what: str
    due: datetime
    contact: str
    kind: str = PromiseKind.AGENT


def timezone_of(agent: Agent | None) -> str:
    return (agent.timezone if agent and agent.timezone else None) or "UTC"


def team_lead(session: Session, agent: Agent | None) -> Agent | None:
    """The lead of agent's team, else the tenant-wide lead ("*"), else the first admin."""
    for team in ([agent.team] if agent and agent.team else []) + ["*"]:
        row = session.get(TeamLead, team)
        if row is not None:
            lead = session.get(Agent, row.agent_id)
            if lead is not None:
                return lead
    return session.scalar(select(Agent).where(Agent.role == "admin").order_by(Agent.id))


def renew(case: Case, now: datetime) -> None:
    """Start a new version of the case's promise (jobs of older versions are skipped)."""
    case.promise_version = (case.promise_version or 0) + 1
    case.promised_at = now
    case.followup_stage = "promised"


def announce(session: Session, bus: EventBus, case: Case) -> None:
    """Tell subscribers (the scheduler) about the case's current promise once the transaction commits."""
    bus.emit_after_commit(session, events.CASE_PROMISED, case.conversation_id, case_id=case.id,
                          case_number=case.number, version=case.promise_version,
                          due=case.promised_by.isoformat() if case.promised_by else None,
                          agent_id=case.assigned_agent_id)


def make_promise(session: Session, bus: EventBus, conv: Conversation, owner: Agent, promise: PromiseIn,
                 now: datetime) -> Case:
    """Record an agent's promise on the conversation's open case (or a new case) and tell the customer."""
    what = " ".join(promise.what.split())
    if not what:
        raise PromiseError("say what you promised")
    if len(what) > MAX_WHAT:
        raise PromiseError(f"keep the promise under {MAX_WHAT} characters")
    if promise.kind not in PromiseKind.ALL:
        raise PromiseError(f"kind must be one of {', '.join(PromiseKind.ALL)}")
    if promise.contact not in CONTACT_ROUTES:
        raise PromiseError(f"reach the customer by {' or '.join(CONTACT_ROUTES)}")
    if promise.due <= now:
        raise PromiseError("the due time must be in the future")
    if promise.due > now + timedelta(days=366):
        raise PromiseError("the due time must be within a year")
    customer = session.get(Customer, conv.customer_id)
    assert customer is not None
    if promise.contact == "email" and not customer.email:
        raise PromiseError("there is no email address on file for this customer: choose the widget")
    case = session.scalar(select(Case).where(Case.conversation_id == conv.id, Case.status == "open")
                          .order_by(Case.id.desc()))
    if case is None:
        case = Case(number=store.next_case_number(session), customer_id=conv.customer_id, conversation_id=conv.id,
                    title=what[:300], status="open", notes="")
        session.add(case)
    case.assigned_agent_id, case.promised_by, case.contact_method = owner.id, promise.due, promise.contact
    case.promise_kind, case.promise_text = promise.kind, what
    renew(case, now)
    session.flush()
    # Customers read every time in the tenant's named zone (issue 10), whoever made the promise.
    text = texts.promise_made(owner.display_name, promise.due, tenant_timezone(session), what)
    say(session, bus, conv, Sender.SYSTEM, text, kind="promise", case_number=case.number)
    announce(session, bus, case)
    return case


def adopt_after_hours(session: Session, bus: EventBus, case_number: str, now: datetime) -> Case | None:
    """Make an after-hours case a promise: owned by the person whose hours open first, due at its promised time."""
    case = store.find_case(session, case_number)
    if case is None or case.promised_by is None or case.promise_kind is not None:
        return None
    agents = [a for a in session.scalars(select(Agent).where(Agent.role == "agent").order_by(Agent.id))]
    openings = [(o, a.id, a) for a in agents if (o := next_opening(a.working_hours or {}, timezone_of(a), now))]
    owner = min(openings, key=lambda t: (t[0], t[1]))[2] if openings else (agents[0] if agents else None)
    case.assigned_agent_id = owner.id if owner else None
    case.promise_kind = PromiseKind.AFTER_HOURS
    case.promise_text = "A person from our team will get back to you about what you told us."
    renew(case, now)
    session.flush()
    announce(session, bus, case)
    return case


def person_updated_since(session: Session, case: Case) -> bool:
    """True when a person wrote to the customer after the promise was made (the promise was kept)."""
    since = case.promised_at or case.created_at
    wrote = session.scalar(
        select(Message.id).join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.customer_id == case.customer_id, Message.sender == Sender.AGENT, Message.created_at > since)
        .limit(1))
    if wrote is not None:
        return True
    return session.scalar(select(FollowUpAttempt.id).where(
        FollowUpAttempt.case_id == case.id, FollowUpAttempt.kind == AttemptKind.CUSTOMER_UPDATE,
        FollowUpAttempt.at > since).limit(1)) is not None


def attempt(session: Session, bus: EventBus, case: Case, **fields: Any) -> FollowUpAttempt:
    """Record one attempt on the case and announce it."""
    row = FollowUpAttempt(case_id=case.id, promise_version=case.promise_version, **fields)
    session.add(row)
    session.flush()
    bus.emit_after_commit(session, events.FOLLOWUP_ATTEMPTED, case.conversation_id, case_number=case.number,
                          attempt_id=row.id, kind=row.kind, channel=row.channel, outcome=row.outcome,
                          retry=row.retry_no,
                          agent_id=row.agent_id if row.channel == "console" else case.assigned_agent_id)
    return row


def customer_routes(case: Case, customer: Customer) -> list[tuple[str, str]]:
    """Where a customer message about case goes: always the widget's next visit, and email when chosen."""
    routes = [("widget", customer.name or "the customer")]
    if case.contact_method == "email" and customer.email:
        routes.append(("email", customer.email))
    return routes


def post_update(session: Session, bus: EventBus, case: Case, agent: Agent, text: str,
                now: datetime) -> list[FollowUpAttempt]:
    """A person's update to the customer on the case: it keeps the promise and goes out on the customer's route.

    Email attempts are left queued for the scheduler to send; the widget one waits for the next visit.
    """
    body = " ".join(text.split())
    if not body:
        raise PromiseError("write the update for the customer")
    if len(body) > 2000:
        raise PromiseError("keep the update under 2000 characters")
    customer = session.get(Customer, case.customer_id)
    assert customer is not None
    message = texts.update(case.number, agent.display_name, body)
    rows = []
    for channel, target in customer_routes(case, customer):
        rows.append(attempt(session, bus, case, kind=AttemptKind.CUSTOMER_UPDATE, channel=channel, target=target,
                            outcome=Outcome.PENDING if channel == "widget" else Outcome.QUEUED, text=message,
                            tries=0, at=now, agent_id=agent.id))
    case.followup_stage = "kept"
    bus.emit_after_commit(session, events.CASE_UPDATED, case.conversation_id, case_number=case.number,
                          agent_id=agent.id)
    return rows


def customer_notices(session: Session, customer_id: str, now: datetime, remind_before: timedelta,
                     *, mark_shown: bool = True) -> list[dict[str, str]]:
    """What a returning customer sees first: pending messages about their cases, and promises falling due."""
    notices: list[dict[str, str]] = []
    seen: set[str] = set()
    pending = session.scalars(
        select(FollowUpAttempt).join(Case, Case.id == FollowUpAttempt.case_id)
        .where(Case.customer_id == customer_id, FollowUpAttempt.channel == "widget",
               FollowUpAttempt.outcome == Outcome.PENDING)
        .order_by(FollowUpAttempt.id.desc())).all()
    for row in pending:
        case = session.get(Case, row.case_id)
        assert case is not None
        if case.number not in seen:  # the newest message per case is the one that counts
            notices.append({"case_number": case.number, "text": row.text, "kind": row.kind})
            seen.add(case.number)
        if mark_shown:
            row.outcome, row.seen_at = Outcome.SHOWN, now
    for case in store.open_cases(session, customer_id):
        if case.number in seen or case.promise_kind is None or case.promised_by is None:
            continue
        if case.promised_by - remind_before <= now and case.followup_stage in ("promised", "reminded"):
            owner = session.get(Agent, case.assigned_agent_id) if case.assigned_agent_id else None
            name, tz = (owner.display_name if owner else None), tenant_timezone(session)
            text = (texts.on_track(case.number, name, case.promised_by, tz, case.promise_text)
                    if now < case.promised_by else texts.due_now(case.number, name, case.promised_by, tz))
            notices.append({"case_number": case.number, "kind": "due", "text": text})
    return notices
