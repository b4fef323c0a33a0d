"""Nobody can chat now: how the customer wants to be reached about their case."""

from __future__ import annotations

from datetime import UTC, datetime

from core.db import Database
from core.events import EventBus
from crm import Sender, store
from escalation import Decision, hand_off, record_contact_choice
from tests import factories

EVENING = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
ASKED = Decision(True, "asked_for_human", "Customer asked for a person: 'agent please'")


def case_conversation(db: Database, **customer: object) -> str:
    with db.session() as s:
        factories.agent(s, "maria", status="offline", working_hours={"mon-fri": "08:00-18:00"},
                        timezone="Europe/London")
        conv = factories.conversation(s, customer=factories.customer(s, **customer))
        store.add_message(s, conv, Sender.CUSTOMER, "my bill is wrong")
        assert hand_off(s, conv.id, ASKED, EventBus(), now=EVENING).case_number == "CS-10001"
        return conv.id


def customer_says(db: Database, cid: str, text: str, entities: list | None = None) -> bool:
    with db.session() as s:
        conv = store.get_conversation(s, cid)
        store.add_message(s, conv, Sender.CUSTOMER, text, parse={"entities": entities or []})
        return record_contact_choice(s, cid, text, EventBus())


def last_system(db: Database, cid: str) -> str:
    with db.session() as s:
        return [m.text for m in store.list_messages(s, cid) if m.sender == Sender.SYSTEM][-1]


def test_contact_choice_asks_for_the_email_we_do_not_have_then_keeps_it(db: Database) -> None:
    cid = case_conversation(db, name="Visitor")
    assert customer_says(db, cid, "Email me")
    assert last_system(db, cid) == "What email address should we use?"
    assert customer_says(db, cid, "hmm, not sure")
    assert last_system(db, cid) == "Sorry, I couldn't find one in that. What email address should we use?"
    assert customer_says(db, cid, "it's ana@example.com", [{"entity": "email", "value": "ana@example.com"}])
    assert last_system(db, cid) == "Thanks — we'll get back to you by email at ana@example.com about case CS-10001."
    with db.session() as s:
        conv = store.get_conversation(s, cid)
        assert conv.customer.email == "ana@example.com"
        assert store.open_cases(s, conv.customer_id)[0].contact_method == "email"
    # Settled: later messages are for the person who picks the case up, not answered again.
    assert not customer_says(db, cid, "also my router is blinking")


def test_contact_choice_uses_the_phone_number_on_record_and_accepts_free_text(db: Database) -> None:
    cid = case_conversation(db, name="Ana Silva", phone="07700 900123")
    assert customer_says(db, cid, "please call me")
    assert last_system(db, cid) == "Thanks — we'll get back to you by phone at 07700 900123 about case CS-10001."


def test_contact_choice_ignores_a_long_message_that_mentions_email(db: Database) -> None:
    cid = case_conversation(db, name="Ana Silva")
    assert not customer_says(db, cid, "I already sent you an email about this last week and nobody answered it")


def test_resolving_the_conversation_closes_its_case(db: Database) -> None:
    from crm import ConversationStatus
    from escalation import accept, resolve

    cid = case_conversation(db, name="Ana Silva")
    with db.session() as s:
        maria = store.agent_by_username(s, "maria")
        maria.status = "online"
        assert accept(s, cid, maria.id, EventBus())
        assert resolve(s, cid, maria.id, EventBus())
        conv = store.get_conversation(s, cid)
        assert conv.status == ConversationStatus.RESOLVED
        assert list(store.open_cases(s, conv.customer_id)) == []
