"""Conversation search: customer, words, case number, tag, status and date, newest first."""

from __future__ import annotations

from datetime import date

from core.db import Database
from crm import Conversation, ConversationStatus, Handoff, Sender, store
from crm.search import SearchQuery, search_conversations
from tests import factories


def handed_off(db: Database, name: str, text: str, trigger: str = "asked_for_human", **case: str) -> str:
    with db.session() as s:
        conv = factories.conversation(s, customer=factories.customer(s, name=name))
        store.add_message(s, conv, Sender.CUSTOMER, text)
        s.add(Handoff(conversation_id=conv.id, trigger=trigger, reason="r"))
        if case:
            factories.case(s, conv.customer, number=case["number"], conversation_id=conv.id)
        return conv.id


def ids(db: Database, q: SearchQuery) -> list[str]:
    with db.session() as s:
        return [c.id for c in search_conversations(s, q)]


def test_search_conversations_by_customer_text_case_tag_status_and_date(db: Database) -> None:
    ana = handed_off(db, "Ana Silva", "my router flashes purple", number="CS-20001")
    ben = handed_off(db, "Ben Okoro", "the bill is 100% wrong", trigger="negative_sentiment")
    with db.session() as s:  # a chat the bot handled alone is not in the agents' search
        store.add_message(s, factories.conversation(s), Sender.CUSTOMER, "purple router")
        store.set_status(s, ben, ConversationStatus.RESOLVED)
    assert ids(db, SearchQuery("silva")) == [ana]
    assert ids(db, SearchQuery("PURPLE")) == [ana]
    assert ids(db, SearchQuery("cs-20001")) == [ana]
    assert ids(db, SearchQuery("100%")) == [ben]  # LIKE wildcards are searched literally
    assert ids(db, SearchQuery("_")) == []
    assert ids(db, SearchQuery(triggers=["negative_sentiment"])) == [ben]
    assert ids(db, SearchQuery(statuses=[ConversationStatus.RESOLVED])) == [ben]
    with db.session() as s:
        today = s.get(Conversation, ana).created_at.date()
    assert set(ids(db, SearchQuery(since=today, until=today))) == {ana, ben}
    assert ids(db, SearchQuery(until=date(2000, 1, 1))) == []
