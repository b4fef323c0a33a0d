"""Follow-up steps called directly: a kept promise, failed deliveries retried then shown, the customer's notice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.db import Database
from core.events import EventBus, events
from crm import Agent, Case, FollowUpAttempt, Sender, store
from followup import FollowUps, FollowUpSettings, PromiseIn, customer_notices, make_promise
from outbound import SmtpMailer
from tests import factories
from tests.followup.conftest import EVENING, Clock, Recorder
from tests.outbound.servers import smtp_sink

DUE = EVENING + timedelta(hours=20)


def promise_case(db: Database, bus: EventBus, clock: Clock, contact: str = "email") -> tuple[str, int]:
    with db.session() as s:
        c = factories.customer(s, name="Jordan Lee", email="jordan.lee@example.com")
        conv = factories.conversation(s, customer=c)
        tom = s.scalar(select(Agent).where(Agent.username == "tom"))
        assert tom is not None
        case = make_promise(s, bus, conv, tom, PromiseIn("I'll tell you what the engineer found", DUE, contact),
                            clock())
        return conv.id, case.id


def rows(db: Database, case_id: int) -> list[tuple[str, str, str, int]]:
    with db.session() as s:
        return [(a.kind, a.channel, a.outcome, a.retry_no) for a in s.scalars(
            select(FollowUpAttempt).where(FollowUpAttempt.case_id == case_id).order_by(FollowUpAttempt.id))]


def test_due_after_a_persons_reply_records_kept_and_alerts_nobody(db: Database, clock: Clock,
                                                                   team: dict[str, int]) -> None:
    bus, seen = EventBus(), Recorder()
    bus.on(None, seen)
    cid, case_id = promise_case(db, bus, clock)
    clock.advance(hours=2)
    with db.session() as s:
        conv = store.get_conversation(s, cid)
        m, _ = store.add_message(s, conv, Sender.AGENT, "Loose cable; fixed.", agent_id=team["tom"])
        m.created_at = clock()
    clock.advance_to(DUE)
    service = FollowUps(db, bus, clock=clock)
    assert service.due(case_id, 1) == "kept"
    assert rows(db, case_id) == [("kept", "none", "not_needed", 0)]
    assert seen.named(events.CASE_OVERDUE) == []
    assert service.due(case_id, 1) == "skipped"


def test_failed_email_is_retried_with_backoff_then_shown_on_the_case_and_to_people(
        db: Database, clock: Clock, team: dict[str, int]) -> None:
    bus = EventBus()
    _, case_id = promise_case(db, bus, clock)
    planned: list[tuple[int, datetime | None]] = []
    with smtp_sink() as sink:
        sink.temporary_failures = 100  # the server answers 451 to everything
        mailer = SmtpMailer(sink.host, sink.port, "help@tidewater.test", attempts=2, sleep=lambda s: None)
        service = FollowUps(db, bus, mailer=mailer, clock=clock,
                            settings=FollowUpSettings(retry_delays_seconds=[60, 300]))
        service.plan_delivery = lambda attempt_id, at: planned.append((attempt_id, at))
        clock.advance_to(DUE)
        assert service.due(case_id, 1) == "escalated"
        with db.session() as s:
            first = s.scalars(select(FollowUpAttempt).where(FollowUpAttempt.channel == "email")).one().id
        assert service.deliver(first) == "retrying"
        assert service.deliver(first) == "skipped"  # claimed once
        assert service.deliver(planned[-1][0]) == "retrying"
        assert service.deliver(planned[-1][0]) == "failed"
        assert sink.messages == []
    start = datetime.now(UTC)
    assert [round((at - start).total_seconds() / 60) for _, at in planned if at] == [1, 5]  # backoff: 60 s, 300 s
    assert rows(db, case_id) == [
        ("escalation", "console", "delivered", 0),
        ("customer_notice", "widget", "pending", 0),
        ("customer_notice", "email", "retrying", 0),
        ("customer_notice", "email", "retrying", 1),
        ("customer_notice", "email", "failed", 2),
        ("delivery_failed", "console", "delivered", 0),
    ]
    with db.session() as s:
        failed = s.scalars(select(FollowUpAttempt).where(FollowUpAttempt.outcome == "failed")).one()
        alert = s.scalars(select(FollowUpAttempt).where(FollowUpAttempt.kind == "delivery_failed")).one()
        assert failed.tries == 2 and failed.error is not None and failed.error.startswith("SMTP 451")
        assert alert.agent_id == team["grace"]  # the lead owns the case after the missed promise
        assert alert.text.startswith("Case CS-10001: the email to jordan.lee@example.com could not be delivered "
                                     "after 3 attempt(s)")


def test_no_smtp_server_configured_fails_at_once_and_says_so(db: Database, clock: Clock,
                                                             team: dict[str, int]) -> None:
    bus = EventBus()
    _, case_id = promise_case(db, bus, clock)
    service = FollowUps(db, bus, mailer=None, clock=clock)
    clock.advance_to(DUE)
    service.due(case_id, 1)
    with db.session() as s:
        email = s.scalars(select(FollowUpAttempt).where(FollowUpAttempt.channel == "email")).one()
    assert service.deliver(email.id) == "failed"
    with db.session() as s:
        email = s.get(FollowUpAttempt, email.id)
        assert email is not None
        assert (email.outcome, email.error) == ("failed", "no SMTP server is configured (FIRSTLINE_OUTBOUND_SMTP_HOST)")


def test_returning_customer_sees_the_honest_overdue_notice_first_and_once(db: Database, clock: Clock,
                                                                          team: dict[str, int]) -> None:
    bus = EventBus()
    _, case_id = promise_case(db, bus, clock, contact="widget")
    before = timedelta(minutes=30)
    with db.session() as s:
        customer_id = s.get(Case, case_id).customer_id  # type: ignore[union-attr]
        assert customer_notices(s, customer_id, clock(), before) == []  # nothing due yet
    clock.advance_to(DUE - timedelta(minutes=10))
    with db.session() as s:
        [soon] = customer_notices(s, customer_id, clock(), before)
    assert soon["text"] == ("About case CS-10001: Tom will get back to you by Friday 6 December, 17:00 (UK time): "
                            "I'll tell you what the engineer found. It's on track, and you don't need to do anything.")
    clock.advance_to(DUE)
    assert FollowUps(db, bus, clock=clock).due(case_id, 1) == "escalated"
    with db.session() as s:
        [late] = customer_notices(s, customer_id, clock(), before)
        assert late["text"].startswith("About case CS-10001: we promised Tom would get back to you by Friday "
                                       "6 December, 17:00 (UK time)")
        assert customer_notices(s, customer_id, clock(), before) == []  # shown once
