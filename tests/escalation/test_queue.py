"""Waiting customers: live queue positions, re-routing when an agent leaves, capacity, continuity."""

from __future__ import annotations

from datetime import UTC, datetime

from core.db import Database
from core.events import Event, EventBus, events
from crm import Agent, ConversationStatus, Handoff, Sender, store
from escalation import Decision, EscalationSettings, accept, hand_back, hand_off, queue_statuses, register
from tests import factories

MON_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ASKED = Decision(True, "asked_for_human", "Customer asked for a person: 'agent please'")
BILLING = {"intent": {"name": "billing_question", "confidence": 0.9}}


def waiting_customer(db: Database, name: str, parse: dict | None = None) -> str:
    with db.session() as s:
        conv = factories.conversation(s, customer=factories.customer(s, name=name, external_id=f"ext-{name}"))
        store.add_message(s, conv, Sender.CUSTOMER, "my bill is wrong", parse=parse or BILLING)
        return conv.id


def maria_and_two_waiting(db: Database, bus: EventBus, capacity: int) -> tuple[int, str, str]:
    """Maria (with capacity seats) and two customers, Ana then Ben, handed off on a watched bus."""
    register(bus, db)
    with db.session() as s:
        maria = factories.agent(s, "maria", display_name="Maria Lopez", capacity=capacity).id
    first, second = waiting_customer(db, "ana"), waiting_customer(db, "ben")
    for cid in (first, second):
        with db.session() as s:
            hand_off(s, cid, ASKED, bus, now=MON_10)
    return maria, first, second


def test_queue_positions_and_waits_count_free_seats_first(db: Database) -> None:
    with db.session() as s:
        maria = factories.agent(s, "maria", display_name="Maria Lopez", capacity=1).id
    ids = [waiting_customer(db, n) for n in ("ana", "ben", "cai")]
    results = []
    for cid in ids:
        with db.session() as s:
            results.append(hand_off(s, cid, ASKED, EventBus(), now=MON_10))
    # Maria has one free seat: the first waits for nobody, the others a turn each (180 s).
    assert [(r.queue_position, r.expected_wait_seconds) for r in results] == [(1, 0), (2, 180), (3, 360)]
    assert results[1].customer_message.startswith("Maria Lopez from Billing will join you shortly. "
                                                  "You're number 2 in Maria's queue; expected wait about 3 minutes.")
    with db.session() as s:
        assert accept(s, ids[0], maria, EventBus())
        places = queue_statuses(s, maria)
    assert {cid: (p.position, p.expected_wait_seconds) for cid, p in places.items()} == {ids[1]: (1, 180),
                                                                                       ids[2]: (2, 360)}


def test_queue_moves_are_pushed_to_waiting_customers(db: Database) -> None:
    bus = EventBus()
    updates: list[tuple[str | None, dict]] = []
    bus.on(events.CONVERSATION_UPDATED, lambda e: updates.append((e.conversation_id, e.data)))
    maria, first, second = maria_and_two_waiting(db, bus, capacity=1)
    with db.session() as s:
        accept(s, first, maria, bus)
    assert updates == [(second, {"agent_id": maria, "queue_position": 1, "expected_wait_seconds": 180})]
    with db.session() as s:
        hand_back(s, first, maria, bus)  # a seat frees: Ben is next, at once
    assert updates[-1] == (second, {"agent_id": maria, "queue_position": 1, "expected_wait_seconds": 0})


def test_everyone_at_capacity_queues_within_the_wait_limit_then_opens_cases(db: Database) -> None:
    with db.session() as s:
        factories.agent(s, "maria", display_name="Maria Lopez", capacity=1)
    settings = EscalationSettings(wait_limit_seconds=200)
    results = []
    for n in ("ana", "ben", "cai"):
        cid = waiting_customer(db, n)
        with db.session() as s:
            results.append(hand_off(s, cid, ASKED, EventBus(), now=MON_10, settings=settings))
    assert [r.agent_name for r in results] == ["Maria Lopez", "Maria Lopez", None]
    assert results[2].case_number == "CS-10001"


def test_agent_going_offline_reroutes_waiting_customers(db: Database) -> None:
    bus = EventBus()
    register(bus, db)
    with db.session() as s:
        maria = factories.agent(s, "maria", display_name="Maria Lopez", team="Billing").id
        tom = factories.agent(s, "tom", display_name="Tom Okafor", team="Technical Support", status="away").id
    cid = waiting_customer(db, "ana")
    with db.session() as s:
        assert hand_off(s, cid, ASKED, bus, now=MON_10).agent_id == maria
        s.get(Agent, tom).status = "online"
        s.get(Agent, maria).status = "offline"
    bus.publish(Event(events.AGENT_STATUS_CHANGED, {"agent_id": maria, "status": "offline"}))
    with db.session() as s:
        conv = store.get_conversation(s, cid)
        assert (conv.status, conv.assigned_agent_id) == (ConversationStatus.QUEUED, tom)
        last = store.list_messages(s, cid)[-1]
        assert last.text.startswith("Maria Lopez isn't available after all. Tom Okafor from Technical Support "
                                    "will join you in a moment.")
        trigger, packet = s.query(Handoff.trigger, Handoff.packet).order_by(Handoff.id.desc()).first()
        assert trigger == "reroute" and packet["customer"]["name"] == "ana"


def test_agent_going_offline_with_nobody_else_opens_a_case(db: Database) -> None:
    bus = EventBus()
    register(bus, db)
    with db.session() as s:
        maria = factories.agent(s, "maria", display_name="Maria Lopez").id
    cid = waiting_customer(db, "ana")
    with db.session() as s:
        hand_off(s, cid, ASKED, bus, now=MON_10)
        s.get(Agent, maria).status = "offline"
    bus.publish(Event(events.AGENT_STATUS_CHANGED, {"agent_id": maria, "status": "offline"}))
    with db.session() as s:
        conv = store.get_conversation(s, cid)
        assert (conv.status, conv.assigned_agent_id) == (ConversationStatus.QUEUED, None)
        [case] = store.open_cases(s, conv.customer_id)
        assert store.list_messages(s, cid)[-1].meta["case_number"] == case.number


def test_continuity_prefers_the_agent_who_helped_in_this_chat_before_a_hand_back(db: Database) -> None:
    with db.session() as s:
        factories.agent(s, "maria", display_name="Maria Lopez", skills=["billing_question"])
        tom = factories.agent(s, "tom", display_name="Tom Okafor", team="Technical Support").id
    cid = waiting_customer(db, "ana")
    with db.session() as s:
        store.set_status(s, cid, ConversationStatus.PENDING)
        hand_off(s, cid, ASKED, EventBus(), now=MON_10, team="Technical Support")
        assert accept(s, cid, tom, EventBus())
        assert hand_back(s, cid, tom, EventBus())
    with db.session() as s:  # Maria matches the skill, but Tom already knows the story
        assert hand_off(s, cid, ASKED, EventBus(), now=MON_10).agent_id == tom


def test_skill_match_uses_the_topic_not_the_request_for_a_person(db: Database) -> None:
    with db.session() as s:
        factories.agent(s, "tom", display_name="Tom Okafor", team="Technical Support", skills=["outage"])
        factories.agent(s, "maria", display_name="Maria Lopez", skills=["billing_question"])
    cid = waiting_customer(db, "ana")
    with db.session() as s:
        conv = store.get_conversation(s, cid)
        store.add_message(s, conv, Sender.CUSTOMER, "a real person please",
                          parse={"intent": {"name": "request_human", "confidence": 0.95}})
        assert hand_off(s, cid, ASKED, EventBus(), now=MON_10).agent_name == "Maria Lopez"


def test_one_failed_reroute_does_not_stop_the_others(db: Database, monkeypatch: object) -> None:
    import escalation.subscribers as subs

    bus = EventBus()
    maria, first, second = maria_and_two_waiting(db, bus, capacity=5)
    real = subs.reroute
    tried: list[str] = []

    def flaky(session, cid, bus, **kw):  # type: ignore[no-untyped-def]
        tried.append(cid)
        if cid == first:
            raise RuntimeError("database hiccup")
        return real(session, cid, bus, **kw)

    monkeypatch.setattr(subs, "reroute", flaky)  # type: ignore[attr-defined]
    with db.session() as s:
        s.get(Agent, maria).status = "offline"
    bus.publish(Event(events.AGENT_STATUS_CHANGED, {"agent_id": maria, "status": "offline"}))
    assert tried == [first, second]
    with db.session() as s:
        assert store.get_conversation(s, second).assigned_agent_id is None  # nobody else: a case
        assert len(store.open_cases(s, store.get_conversation(s, second).customer_id)) == 1
