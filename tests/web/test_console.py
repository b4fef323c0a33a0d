"""The console API: who may see and act on which conversation, double accept, inert agent HTML."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from core.db import Database
from core.events import EventBus
from crm import Agent, ConversationStatus, Sender, store
from escalation import Decision, hand_off
from tests import factories
from tests.web.staff import login

ASKED = Decision(True, "asked_for_human", "Customer asked for a person: 'agent please'")
MON_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def tom(db: Database) -> int:
    with db.session() as s:
        return factories.agent(s, "tom", display_name="Tom Okafor", team="Technical Support", status="offline").id


def queued_for(db: Database, username: str | None) -> str:
    """A customer conversation handed to username (None: waiting for anyone)."""
    with db.session() as s:
        conv = factories.conversation(s)
        store.add_message(s, conv, Sender.CUSTOMER, "my bill is wrong")
        cid = conv.id
    with db.session() as s:
        hand_off(s, cid, ASKED, EventBus(), now=MON_10)
        agent = store.agent_by_username(s, username) if username else None
        store.set_status(s, cid, ConversationStatus.QUEUED, assigned_agent_id=agent.id if agent else None)
    return cid


def test_agent_cannot_read_or_act_on_another_agents_conversation(app_client: TestClient, db: Database,
                                                                 tom: int) -> None:
    cid = queued_for(db, "maria")
    login(app_client, "tom")
    base = f"/api/console/conversations/{cid}"
    assert app_client.get(base).status_code == 404
    for action, body in (("accept", None), ("reply", {"text": "hi"}), ("note", {"text": "hi"}),
                         ("transfer", {"to_team": "Billing"}), ("resolve", None), ("hand-back", None)):
        r = app_client.post(f"{base}/{action}", json=body)
        assert r.status_code == 404, (action, r.status_code)
    assert cid not in [c["id"] for c in app_client.get("/api/console/conversations").json()["queue"]]
    with db.session() as s:
        assert [m.sender for m in store.list_messages(s, cid, include_notes=True)] == ["customer", "system"]


def test_double_accept_over_http_tells_the_loser_who_won(app_client: TestClient, db: Database, tom: int) -> None:
    cid = queued_for(db, None)
    login(app_client, "maria")
    assert app_client.post(f"/api/console/conversations/{cid}/accept").json() == {"accepted": True}
    login(app_client, "tom")
    r = app_client.post(f"/api/console/conversations/{cid}/accept")
    assert (r.status_code, r.json()) == (409, {"detail": "Maria Lopez accepted this conversation first"})
    with db.session() as s:
        conv = store.get_conversation(s, cid)
        assert (conv.status, conv.assigned_agent.username) == (ConversationStatus.OPEN, "maria")


def test_agent_reply_with_html_is_stored_verbatim_for_text_rendering(app_client: TestClient, db: Database) -> None:
    cid = queued_for(db, "maria")
    login(app_client, "maria")
    base = f"/api/console/conversations/{cid}"
    assert app_client.post(f"{base}/reply", json={"text": "hi"}).status_code == 409  # accept first
    app_client.post(f"{base}/accept")
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    r = app_client.post(f"{base}/reply", json={"text": hostile})
    assert (r.status_code, r.json()["text"], r.json()["sender"]) == (201, hostile, "agent")
    # The widget and the console render with textContent; the API never turns text into markup.
    assert app_client.get(base).json()["messages"][-1]["text"] == hostile


def test_logging_out_sets_the_agent_offline(app_client: TestClient, db: Database) -> None:
    login(app_client, "maria")
    assert app_client.put("/api/console/me/status", json={"status": "online"}).json() == {"status": "online"}
    app_client.post("/logout")
    with db.session() as s:
        assert store.agent_by_username(s, "maria").status == "offline"  # type: ignore[union-attr]


def test_status_must_be_one_of_the_three(app_client: TestClient, db: Database) -> None:
    login(app_client, "maria")
    assert app_client.put("/api/console/me/status", json={"status": "busy"}).status_code == 422
    with db.session() as s:
        assert s.query(Agent).filter_by(username="maria").one().status == "online"


def test_transfer_to_an_offline_colleague_is_refused_and_the_chat_stays(app_client: TestClient, db: Database,
                                                                        tom: int) -> None:
    cid = queued_for(db, "maria")
    login(app_client, "maria")
    base = f"/api/console/conversations/{cid}"
    app_client.post(f"{base}/accept")
    r = app_client.post(f"{base}/transfer", json={"to_agent": "tom", "note": "line fault"})
    assert (r.status_code, r.json()) == (409, {"detail": "agent 'tom' cannot take this conversation now "
                                                         "(away, offline or outside hours)"})
    with db.session() as s:
        conv = store.get_conversation(s, cid)
        assert (conv.status, conv.assigned_agent.username) == (ConversationStatus.OPEN, "maria")
