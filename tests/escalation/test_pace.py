"""The queue estimate follows the observed pace: what customers are promised matches recent waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.db import Database
from core.events import EventBus
from crm import Handoff
from escalation import Decision, EscalationSettings, hand_off
from escalation.pace import observed_pace
from tests import factories
from tests.escalation.test_queue import waiting_customer

NOW = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
ASKED = Decision(True, "asked_for_human", "Customer asked for a person: 'agent please'")


def past_handoffs(db: Database, n: int, waited: timedelta, behind: int, ago: timedelta = timedelta(minutes=20)) -> None:
    with db.session() as s:
        for _ in range(n):
            conv = factories.conversation(s)
            created = NOW - ago - waited
            s.add(Handoff(conversation_id=conv.id, trigger="asked_for_human", reason="r", created_at=created,
                          accepted_at=created + waited, queued_behind=behind))


def two_new_customers(db: Database) -> list:
    with db.session() as s:
        factories.agent(s, "maria", display_name="Maria Lopez", capacity=1)
    out = []
    for name in ("ana", "ben"):
        cid = waiting_customer(db, name)
        with db.session() as s:
            out.append(hand_off(s, cid, ASKED, EventBus(), now=NOW))
    return out


def test_pace_without_recent_handoffs_is_the_configured_one(db: Database) -> None:
    past_handoffs(db, 5, timedelta(minutes=30), 1, ago=timedelta(hours=2))  # too long ago
    with db.session() as s:
        pace = observed_pace(s, EscalationSettings(), NOW)
    assert (pace.seconds_per_chat, pace.reaction_seconds, pace.observed) == (180, 0, False)


def test_customers_are_told_the_observed_wait_during_a_surge(db: Database) -> None:
    # Recently each chat ahead took 10 minutes, not the configured 3: waits of 20 minutes behind two.
    past_handoffs(db, 3, timedelta(minutes=20), 2)
    ana, ben = two_new_customers(db)
    assert (ana.queue_position, ana.expected_wait_seconds, ana.queued_behind) == (1, 0, 0)
    assert (ben.queue_position, ben.expected_wait_seconds, ben.queued_behind) == (2, 600, 1)
    assert "expected wait about 10 minutes" in ben.customer_message
    with db.session() as s:
        recorded = [h.queued_behind for h in s.query(Handoff).order_by(Handoff.id)][-2:]
    assert recorded == [0, 1]  # the next estimate learns from these once they are accepted


def test_a_free_seat_waits_the_observed_pick_up_time_when_people_are_slow_to_accept(db: Database) -> None:
    past_handoffs(db, 3, timedelta(minutes=4), 0)
    ana, ben = two_new_customers(db)
    assert (ana.expected_wait_seconds, ben.expected_wait_seconds) == (240, 240)  # never sooner behind
    assert "expected wait about 4 minutes" in ana.customer_message


def test_pace_needs_three_samples_and_takes_their_median(db: Database) -> None:
    past_handoffs(db, 2, timedelta(minutes=30), 1)
    with db.session() as s:
        assert observed_pace(s, EscalationSettings(), NOW).seconds_per_chat == 180
    past_handoffs(db, 1, timedelta(minutes=2), 1)
    with db.session() as s:
        pace = observed_pace(s, EscalationSettings(), NOW)
    assert (pace.seconds_per_chat, pace.samples, pace.observed) == (1800, 3, True)
