"""The persistent scheduler keeps an after-hours promise: reminder, escalation, an honest email; once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from core.db import Database
from core.events import EventBus, events
from crm import Case, FollowUpAttempt, Sender, store
from escalation import Decision, hand_off, record_contact_choice
from outbound import SmtpMailer
from tests import factories
from tests.followup.conftest import Clock, Recorder, Schedulers
from tests.outbound.servers import smtp_sink

ASKED = Decision(True, "asked_for_human", "Customer asked for a person: 'agent please'")


def after_hours_case(db: Database, bus: EventBus, clock: Clock) -> tuple[str, int]:
    """Nobody is on shift: the handoff opens a case with a promised time; the customer picks email."""
    with db.session() as s:
        customer = factories.customer(s, name="Jordan Lee", email="jordan.lee@example.com")
        conv = factories.conversation(s, customer=customer)
        store.add_message(s, conv, Sender.CUSTOMER, "my line drops every evening, please get someone")
        result = hand_off(s, conv.id, ASKED, bus, now=clock())
        assert result is not None and result.case_number == "CS-10001"
        cid = conv.id
    with db.session() as s:
        store.add_message(s, store.get_conversation(s, cid), Sender.CUSTOMER, "Email me")
        assert record_contact_choice(s, cid, "Email me", bus)
        case = store.find_case(s, "CS-10001")
        assert case is not None
        return cid, case.id


def attempts(db: Database, case_id: int) -> list[tuple[str, str, str, str]]:
    with db.session() as s:
        rows = s.scalars(select(FollowUpAttempt).where(FollowUpAttempt.case_id == case_id)
                         .order_by(FollowUpAttempt.id))
        return [(r.kind, r.channel, r.target, r.outcome) for r in rows]


def test_after_hours_case_due_without_update_alerts_lead_and_emails_customer_once_across_restart(
        db: Database, clock: Clock, team: dict[str, int], schedulers: Schedulers) -> None:
    with smtp_sink() as sink:
        mailer = SmtpMailer(sink.host, sink.port, "Tidewater Fibre <help@tidewater.test>", sleep=lambda s: None)
        bus, seen = EventBus(), Recorder()
        bus.on(None, seen)
        first = schedulers.start(bus, mailer)
        _, case_id = after_hours_case(db, bus, clock)
        with db.session() as s:
            case = s.get(Case, case_id)
            assert case is not None
            # Friday 12:00 London is Tom's next opening (Grace's is 13:00); plus the 30-minute margin.
            assert case.promised_by == datetime(2030, 12, 6, 12, 30, tzinfo=UTC)
            assert (case.assigned_agent_id, case.promise_kind, case.contact_method, case.promise_version) == (
                team["tom"], "after_hours", "email", 1)
        due = datetime(2030, 12, 6, 12, 30, tzinfo=UTC)
        assert sorted(first.jobs()) == [(f"promise:{case_id}:1:due", due),
                                        (f"promise:{case_id}:1:remind", datetime(2030, 12, 6, 12, 0, tzinfo=UTC))]

        # The app restarts: a new scheduler (and a new process's bus) on the same database finds the jobs.
        schedulers.stop(first)
        bus, seen = EventBus(), Recorder()
        bus.on(None, seen)
        second = schedulers.start(bus, mailer)
        assert len(second.jobs()) == 2

        clock.advance_to(datetime(2030, 12, 6, 12, 0, tzinfo=UTC))
        assert second.run_due_now(clock()) == [f"promise:{case_id}:1:remind"]
        [reminder] = seen.named(events.CASE_REMINDER_DUE)
        assert reminder.data["agent_id"] == team["tom"]
        assert reminder.data["text"].startswith("Reminder: case CS-10001 is due by Friday 6 December, 12:30 (UK time)")

        clock.advance_to(due)
        assert second.run_due_now(clock()) == [f"promise:{case_id}:1:due"]
        [mail] = sink.wait_for(1)
        [alert] = seen.named(events.CASE_OVERDUE)

    assert alert.data["agent_id"] == team["grace"] and alert.data["owner_id"] == team["tom"]
    assert "Case CS-10001 is overdue: Tom Okafor promised Jordan Lee an update" in alert.data["text"]
    assert mail.rcpt_tos == ["jordan.lee@example.com"]
    assert mail.message["Subject"] == "An update on your case CS-10001"
    body = mail.message.get_content()
    # Honest: the promise was missed, who has it now, and the new time (Grace's next hours after 2 hours).
    assert ("About case CS-10001: we promised Tom would get back to you by Friday 6 December, 12:30 (UK time)"
            in body)
    assert "and we haven't yet. We're sorry. Grace Whitfield, who leads the team, is looking at your case now, " \
           "and we will get back to you by Friday 6 December, 14:30 (UK time)." in body
    assert "Opened automatically" not in body and "asked_for_human" not in body  # nothing internal
    assert attempts(db, case_id) == [
        ("reminder", "console", "Tom Okafor", "delivered"),
        ("escalation", "console", "Grace Whitfield", "delivered"),
        ("customer_notice", "widget", "Jordan Lee", "pending"),
        ("customer_notice", "email", "jordan.lee@example.com", "delivered"),
    ]
    with db.session() as s:
        email_row = s.scalars(select(FollowUpAttempt).where(FollowUpAttempt.channel == "email")).one()
        assert email_row.tries == 1 and email_row.error is None
        case = s.get(Case, case_id)
        assert case is not None
        # Grace now owns the new promise, planned by the scheduler as a fresh version.
        assert (case.assigned_agent_id, case.promise_version, case.promised_by) == (
            team["grace"], 2, datetime(2030, 12, 6, 14, 30, tzinfo=UTC))

    # Exactly once: the version-1 jobs are gone, a third start finds only the new promise's jobs, and
    # running the due step again (a second scheduler, a retried run) changes nothing.
    schedulers.stop(second)
    third = schedulers.start(EventBus())
    assert sorted(j for j, _ in third.jobs()) == [f"promise:{case_id}:2:due", f"promise:{case_id}:2:remind"]
    assert third.service.due(case_id, 1) == "skipped"
    assert third.service.remind(case_id, 1) == "skipped"
    assert len(attempts(db, case_id)) == 4
    assert len(sink.messages) == 1


def test_two_app_workers_one_runs_jobs_the_other_only_stores_them(db: Database, clock: Clock, team: dict[str, int],
                                                                  schedulers: Schedulers) -> None:
    runner_bus, worker_bus = EventBus(), EventBus()
    runner = schedulers.start(runner_bus)
    worker = schedulers.start(worker_bus)  # the runner lock is taken: this one starts paused
    assert (runner.run_jobs, worker.run_jobs) == (True, False)
    seen = Recorder()
    runner_bus.on(events.CASE_OVERDUE, seen)
    _, case_id = after_hours_case(db, worker_bus, clock)  # the request landed on the other worker
    assert sorted(j for j, _ in runner.jobs()) == [f"promise:{case_id}:1:due", f"promise:{case_id}:1:remind"]
    clock.advance_to(datetime(2030, 12, 6, 13, 0, tzinfo=UTC))
    with pytest.raises(RuntimeError, match="this process does not run follow-up jobs"):
        worker.run_due_now(clock())
    runner.run_due_now(clock())
    assert [e.data["case_number"] for e in seen.events] == ["CS-10001"]
    # The runner stops (or dies): the next process to start takes the lock over.
    schedulers.stop(runner)
    assert schedulers.start(EventBus()).run_jobs


def test_every_runs_a_chore_only_in_the_process_that_runs_jobs(db: Database, schedulers: Schedulers) -> None:
    import threading

    ran = threading.Event()
    runner, worker = schedulers.start(EventBus()), schedulers.start(EventBus())
    assert runner.every("chore", 60, ran.set) is True
    assert worker.every("chore", 60, ran.set) is False
    assert ran.wait(10)  # the first run is at once, not a minute later
    assert [j for j, _ in runner.jobs()] == []  # not a stored follow-up job
