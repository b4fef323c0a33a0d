from __future__ import annotations

import threading

from core.db import Database
from crm import ConversationStatus, Sender, store
from tests import factories


def test_add_message_records_parse_fields(db: Database) -> None:
    parse = {"intent": {"name": "outage", "confidence": 0.91}, "entities": [{"entity": "service", "value": "internet"}],
             "sentiment": {"compound": -0.4}}
    with db.session() as s:
        conv = factories.conversation(s)
        msg, new = store.add_message(s, conv, Sender.CUSTOMER, "my internet is down", parse=parse)
        cid = conv.id
    assert new
    with db.session() as s:
        [row] = store.list_messages(s, cid)
        assert (row.intent, row.confidence, row.sentiment) == ("outage", 0.91, -0.4)
        assert row.entities == [{"entity": "service", "value": "internet"}]
        assert row.parse == parse
        assert row.created_at.tzinfo is not None


def test_add_message_with_same_client_id_is_recorded_once(db: Database) -> None:
    with db.session() as s:
        conv = factories.conversation(s)
        first, new1 = store.add_message(s, conv, Sender.CUSTOMER, "hello", client_id="abc")
        again, new2 = store.add_message(s, conv, Sender.CUSTOMER, "hello", client_id="abc")
        assert (new1, new2) == (True, False)
        assert again.id == first.id
        assert len(store.list_messages(s, conv.id)) == 1


def test_add_message_rejects_unknown_sender(db: Database) -> None:
    import pytest

    with db.session() as s:
        conv = factories.conversation(s)
        with pytest.raises(ValueError, match="unknown sender"):
            store.add_message(s, conv, "robot", "hi")


def test_list_messages_hides_internal_notes_by_default(db: Database) -> None:
    with db.session() as s:
        conv = factories.conversation(s)
        store.add_message(s, conv, Sender.CUSTOMER, "hi")
        store.add_message(s, conv, Sender.NOTE, "customer is VIP, be nice")
        assert [m.sender for m in store.list_messages(s, conv.id)] == ["customer"]
        assert [m.sender for m in store.list_messages(s, conv.id, include_notes=True)] == ["customer", "note"]


def test_set_status_compare_and_set_lets_one_of_two_writers_win(db: Database) -> None:
    with db.session() as s:
        conv = factories.conversation(s, status=ConversationStatus.QUEUED)
        a1 = factories.agent(s, "maria")
        a2 = factories.agent(s, "tom")
        cid, version, ids = conv.id, conv.version, (a1.id, a2.id)
    results: dict[int, bool] = {}
    barrier = threading.Barrier(2)

    def accept(agent_id: int) -> None:
        barrier.wait()
        with db.session() as s:
            results[agent_id] = store.set_status(s, cid, ConversationStatus.OPEN, expected_version=version,
                                                 expected_status=[ConversationStatus.QUEUED],
                                                 assigned_agent_id=agent_id)

    threads = [threading.Thread(target=accept, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == [False, True]
    winner = next(i for i, ok in results.items() if ok)
    with db.session() as s:
        conv = store.get_conversation(s, cid)
        assert (conv.status, conv.assigned_agent_id, conv.version) == ("open", winner, version + 1)


def test_customer_history_lists_earlier_conversations_and_open_cases(db: Database) -> None:
    with db.session() as s:
        c = factories.customer(s, external_id="cust-1")
        old = factories.conversation(s, customer=c, status="resolved")
        now = factories.conversation(s, customer=c)
        factories.case(s, c, "CS-1", status="open")
        factories.case(s, c, "CS-2", status="closed")
        h = store.customer_history(s, c.id, exclude=now.id)
        assert [x.id for x in h["conversations"]] == [old.id]
        assert [x.number for x in h["open_cases"]] == ["CS-1"]


def test_find_customer_by_identity(db: Database) -> None:
    with db.session() as s:
        c = factories.customer(s, external_id="cust-9")
        store.add_identity(s, c, "email", "ana@example.com")
        store.add_identity(s, c, "email", "ana@example.com")  # idempotent
        assert store.find_customer(s, "email", "ana@example.com").id == c.id  # type: ignore[union-attr]
        assert store.find_customer(s, "external_id", "cust-9").id == c.id  # type: ignore[union-attr]
        assert store.find_customer(s, "email", "nobody@example.com") is None


def test_next_case_number_follows_the_highest_number(db: Database) -> None:
    with db.session() as s:
        assert store.next_case_number(s) == "CS-10001"
        c = factories.customer(s)
        factories.case(s, c, "CS-10423")
        factories.case(s, c, "CS-4410")
        assert store.next_case_number(s) == "CS-10424"
        factories.case(s, c, "cs-99999")  # lower case counts, as before
        for odd in ("CS-12x", "CS-", "XY-500000", "CS-1234567890123456789012", "CS-99999a"):
            factories.case(s, c, odd)  # not a CS- number: ignored, and no database error
        assert store.next_case_number(s) == "CS-100000"
        factories.case(s, c, "CS-100000")
        assert store.next_case_number(s) == "CS-100001"  # numeric order, not the text's (CS-99999 > CS-100000)
