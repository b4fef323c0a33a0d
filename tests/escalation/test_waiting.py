"""Honest waiting: one acknowledgement per burst, the same promise as the case, hours before typing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.db import Database
from core.events import EventBus
from crm import ConversationStatus, Sender, store
from crm.tenant import put
from escalation import Decision, hand_off
from escalation.waiting import acknowledge, availability, business_hours, hours_text, waiting_for, when_text
from tests import factories

WED_21 = datetime(2026, 12, 2, 21, 0, tzinfo=UTC)  # after hours in London
ASKED = Decision(True, "asked_for_human", "Customer asked for a person: 'agent please'")
LONDON = "Europe/London"


def staff(db: Database, status: str = "offline") -> None:
    with db.session() as s:
        factories.agent(s, "grace", display_name="Grace Whitfield", status=status, timezone=LONDON,
                        working_hours={"mon-fri": "07:00-19:00", "sat": "08:00-16:00"})
        factories.agent(s, "tom", display_name="Tom Okafor", status=status, timezone=LONDON,
                        working_hours={"mon-fri": "12:00-20:00"})


def waiting_conversation(db: Database, now: datetime = WED_21) -> str:
    with db.session() as s:
        conv = factories.conversation(s)
        store.add_message(s, conv, Sender.CUSTOMER, "my bill is wrong")
        hand_off(s, conv.id, ASKED, EventBus(), now=now)
        return conv.id


def ack(db: Database, cid: str, now: datetime) -> str | None:
    with db.session() as s:
        msg = acknowledge(s, cid, EventBus(), now)
        return msg.text if msg else None


def test_when_text_says_today_tomorrow_or_the_weekday() -> None:
    assert when_text(datetime(2026, 12, 3, 7, 30, tzinfo=UTC), LONDON, WED_21) == "07:30 tomorrow (UK time)"
    assert when_text(datetime(2026, 12, 2, 22, 0, tzinfo=UTC), LONDON, WED_21) == "22:00 today (UK time)"
    assert when_text(datetime(2026, 12, 7, 8, 0, tzinfo=UTC), LONDON, WED_21) == "08:00 on Monday (UK time)"


def test_business_hours_default_to_the_span_the_agents_cover(db: Database) -> None:
    staff(db)
    with db.session() as s:
        hours, tz = business_hours(s)
        assert tz == LONDON
        assert hours_text(hours, tz) == "Mon–Fri 07:00–20:00 · Sat 08:00–16:00 (UK time)"
        put(s, "business_hours", {"mon-sat": "09:00-17:00"}, by="admin")
        assert hours_text(*business_hours(s)) == "Mon–Sat 09:00–17:00 (UK time)"


def test_availability_after_hours_promises_the_same_time_a_case_would(db: Database) -> None:
    staff(db)
    with db.session() as s:
        seen = availability(s, WED_21)
    assert seen["someone_available"] is False
    assert seen["reply"] == "No one is available to chat now · a person will reply by 07:30 tomorrow (UK time)"


def test_acknowledge_a_case_once_per_burst_with_its_promise(db: Database) -> None:
    staff(db)
    cid = waiting_conversation(db)
    first = ack(db, cid, WED_21 + timedelta(seconds=30))
    assert first == "Added to case CS-10001; a person from our team will reply by 07:30 tomorrow (UK time)."
    assert ack(db, cid, WED_21 + timedelta(seconds=60)) is None  # a fast typist: no wall of text
    assert ack(db, cid, WED_21 + timedelta(seconds=200)) == first  # back later: told again
    with db.session() as s:
        w = waiting_for(s, store.get_conversation(s, cid), WED_21)
        assert w is not None and (w.title, w.case_number) == ("Case CS-10001 is open", "CS-10001")


def test_acknowledge_names_the_agent_the_customer_waits_for(db: Database) -> None:
    monday_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    staff(db, status="online")
    cid = waiting_conversation(db, monday_10)
    assert ack(db, cid, monday_10) == "Passed to Grace; Grace will join you in a moment."


def test_acknowledge_nothing_once_a_person_has_the_chat(db: Database) -> None:
    monday_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    staff(db, status="online")
    cid = waiting_conversation(db, monday_10)
    with db.session() as s:
        store.set_status(s, cid, ConversationStatus.OPEN)
    assert ack(db, cid, monday_10) is None
