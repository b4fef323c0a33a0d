"""Typing both ways: the agent's signal reaches the customer, the customer's reaches a person, throttled."""

from __future__ import annotations

from fastapi.testclient import TestClient

from core.db import Database
from core.events import Event, EventBus
from tests.web.conftest import start
from tests.web.test_console import login, queued_for
from web.typing import TypingSignals


def captured(client: TestClient) -> list[Event]:
    seen: list[Event] = []
    client.app.state.runtime.bus.on("typing.started", seen.append)  # type: ignore[attr-defined]
    return seen


def test_typing_endpoint_of_the_agent_announces_their_name(app_client: TestClient, db: Database) -> None:
    seen = captured(app_client)
    cid = queued_for(db, "maria")
    login(app_client, "maria")
    app_client.post(f"/api/console/conversations/{cid}/accept")
    r = app_client.post(f"/api/console/conversations/{cid}/typing")
    assert r.status_code == 204, r.text
    assert [(e.conversation_id, e.data["name"], e.data["sender"]) for e in seen] == [(cid, "Maria Lopez", "agent")]


def test_typing_endpoint_of_the_customer_reaches_a_person_only(app_client: TestClient, db: Database) -> None:
    seen = captured(app_client)
    cid, headers = start(app_client)
    assert app_client.post(f"/api/conversations/{cid}/typing", headers=headers).status_code == 204
    assert seen == []  # the bot owns it: nobody to tell
    assert app_client.post(f"/api/conversations/{cid}/typing").status_code == 404  # no token
    from crm import ConversationStatus, store

    with db.session() as s:
        store.set_status(s, cid, ConversationStatus.QUEUED)
    assert app_client.post(f"/api/conversations/{cid}/typing", headers=headers).status_code == 204
    assert app_client.post(f"/api/conversations/{cid}/typing", headers=headers).status_code == 204
    assert [(e.data["sender"], e.data["name"][:8]) for e in seen] == [("customer", "Visitor ")]  # throttled


def test_typing_signals_throttle_each_sender_separately() -> None:
    now = [100.0]
    bus = EventBus()
    seen: list[Event] = []
    bus.on(None, seen.append)
    t = TypingSignals(bus, interval=2.0, clock=lambda: now[0])
    assert t.started("c", sender="agent", name="A", agent_id=1)
    assert not t.started("c", sender="agent", name="A", agent_id=1)
    assert t.started("c", sender="customer", name="V")
    now[0] += 2.0
    assert t.started("c", sender="agent", name="A", agent_id=1)
    assert [e.data["sender"] for e in seen] == ["agent", "customer", "agent"]
