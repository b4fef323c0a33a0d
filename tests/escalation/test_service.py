from __future__ import annotations

import threading
from datetime import UTC, datetime

from core.db import Database
from core.events import EventBus
from crm import ConversationStatus, Handoff, Sender, store
from escalation import Decision, accept, hand_back, hand_off, resolve, transfer
from tests import factories

MON_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ASKED = Decision(True, "asked_for_human", "Customer asked for a person: 'agent please'")


def setup_conversation(db: Database, **agent_kw: object) -> tuple[str, int]:
    with db.session() as s:
        a = factories.agent(s, "maria", display_name="Maria Lopez", team="Billing", **agent_kw)
        c = factories.customer(s, external_id="cust-1", name="Ana Silva")
        conv = factories.conversation(s, customer=c)
        store.add_message(
            s,
            conv,
            Sender.CUSTOMER,
            "my bill is wrong, I paid £38",
            parse={
                "intent": {"name": "billing_question", "confidence": 0.9},
                "entities": [{"entity": "amount", "value": "£38"}],
                "sentiment": {"compound": -0.3},
            },
        )
        return conv.id, a.id


def test_hand_off_to_an_online_agent_names_them(db: Database) -> None:
    cid, aid = setup_conversation(db)
    bus = EventBus()
    seen: list[str] = []
    bus.on(None, lambda e: seen.append(e.name))
    with db.session() as s:
        result = hand_off(s, cid, ASKED, bus, now=MON_10)
    assert result is not None and (result.agent_id, result.queue_position) == (aid, 1)
    assert result.customer_message.startswith("Maria Lopez from Billing will join you in a moment.")
    assert seen == ["message.created", "conversation.queued", "conversation.handed_off"]
    with db.session() as s:
        conv = store.get_conversation(s, cid)
        assert (conv.status, conv.assigned_agent_id, conv.handoff_reason) == ("queued", aid, ASKED.reason)
        [h] = s.query(Handoff).all()
        assert (
            h.packet["summary"]
            == 'Customer has a question about their bill: "my bill is wrong, I paid £38" (mentioned amount £38)'
        )
        assert h.packet["customer"]["name"] == "Ana Silva"
        assert h.packet["sentiment_curve"] == [-0.3]
        assert h.packet["reason"] == ASKED.reason
        # a second handoff of the same conversation changes nothing
        assert hand_off(s, cid, ASKED, bus, now=MON_10) is None


def test_hand_off_with_nobody_available_opens_a_case_with_a_promised_time(db: Database) -> None:
    cid, _ = setup_conversation(
        db, status="offline", working_hours={"mon-fri": "08:00-18:00"}, timezone="Europe/London"
    )
    with db.session() as s:
        result = hand_off(s, cid, ASKED, EventBus(), now=datetime(2026, 11, 23, 20, 0, tzinfo=UTC))
    assert result is not None and result.agent_id is None
    assert result.case_number == "CS-10001"
    assert result.promised_by == datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
    assert "A person will get back to you by Tuesday 24 November, 08:30 (UK time)." in result.customer_message
    with db.session() as s:
        assert store.get_conversation(s, cid).status == "queued"
        [case] = store.open_cases(s, store.get_conversation(s, cid).customer_id)
        assert case.number == "CS-10001"


def test_double_accept_one_wins(db: Database) -> None:
    cid, aid = setup_conversation(db)
    with db.session() as s:
        other = factories.agent(s, "tom", display_name="Tom").id
        hand_off(s, cid, ASKED, EventBus(), now=MON_10)
        store.set_status(s, cid, ConversationStatus.QUEUED, assigned_agent_id=None)  # anyone may take it
    results: dict[int, bool] = {}
    barrier = threading.Barrier(2)

    def go(agent_id: int) -> None:
        barrier.wait()
        with db.session() as s:
            results[agent_id] = accept(s, cid, agent_id, EventBus())

    threads = [threading.Thread(target=go, args=(x,)) for x in (aid, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == [False, True]
    with db.session() as s:
        conv = store.get_conversation(s, cid)
        winner = next(k for k, v in results.items() if v)
        assert (conv.status, conv.assigned_agent_id) == ("open", winner)
        joined = [m.text for m in store.list_messages(s, cid) if (m.meta or {}).get("kind") == "joined"]
        assert len(joined) == 1


def test_transfer_hand_back_and_resolve(db: Database) -> None:
    cid, aid = setup_conversation(db)
    bus = EventBus()
    with db.session() as s:
        tom = factories.agent(s, "tom", display_name="Tom Okafor", team="Technical Support").id
        hand_off(s, cid, ASKED, bus, now=MON_10)
        assert accept(s, cid, aid, bus)
        assert not transfer(s, cid, tom, aid, None, "not mine to give", bus)  # only the owner transfers
        assert transfer(s, cid, aid, tom, None, "line fault, not billing", bus)
        conv = store.get_conversation(s, cid)
        assert (conv.status, conv.assigned_agent_id) == ("queued", tom)
        handoffs = s.query(Handoff).order_by(Handoff.id).all()
        assert handoffs[-1].packet["transfer_note"] == "line fault, not billing"
        assert handoffs[-1].packet["summary"] == handoffs[0].packet["summary"]
        assert accept(s, cid, tom, bus)
        assert hand_back(s, cid, tom, bus)
        assert store.get_conversation(s, cid).status == "pending"
        store.set_status(s, cid, ConversationStatus.OPEN, assigned_agent_id=tom)
        assert resolve(s, cid, tom, bus)
        last = store.list_messages(s, cid)[-1]
        assert (last.sender, last.meta["kind"]) == ("system", "rating_request")
        notes = [m.text for m in store.list_messages(s, cid, include_notes=True) if m.sender == "note"]
        assert notes == ["Transfer to Tom Okafor: line fault, not billing"]
