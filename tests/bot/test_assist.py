"""Bot replies that read the customer's history: never ask for what is already known."""

from __future__ import annotations

from bot.assist import case_status
from core.db import Database
from crm import Sender, store
from tests import factories


def test_case_status_uses_a_case_number_given_earlier_even_to_an_agent(db: Database) -> None:
    with db.session() as s:
        visitor = factories.customer(s, name=None)
        factories.case(s, visitor, "CS-10500", title="No dial tone")
        conv = factories.conversation(s, customer=visitor)
        store.add_message(s, conv, Sender.CUSTOMER, "it's about CS-10500",
                          parse={"entities": [{"entity": "case_number", "value": "CS-10500"}]})
        store.add_message(s, conv, Sender.AGENT, "Thanks, I'll chase it.")
        store.add_message(s, conv, Sender.SYSTEM, "Back with the assistant.", meta={"kind": "handed_back"})
        store.add_message(s, conv, Sender.CUSTOMER, "what's the status of my case?")
        reply = case_status(s, conv.id, None)
    assert reply.text == "Case CS-10500 (No dial tone) is open."
    assert reply.meta == {"case_number": "CS-10500"}


def test_case_status_offers_an_anonymous_customer_verification_when_nothing_is_known(db: Database) -> None:
    with db.session() as s:
        conv = factories.conversation(s, customer=factories.customer(s, name=None))
        reply = case_status(s, conv.id, None)
    assert reply.kind == "verify_offer"  # issue 10: offered a way to prove who they are, not a handoff
    assert reply.text.startswith("I can check that for you once I know it's you.")
