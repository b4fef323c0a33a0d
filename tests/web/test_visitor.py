"""A returning anonymous visitor is the same visitor; forged tokens are refused; events stay public."""

from __future__ import annotations

from fastapi.testclient import TestClient

from core.db import Database
from core.events import Event, events
from crm import Conversation, store
from crm.identity import merge_visitor
from tests import factories
from web.customer_events import customer_event
from web.security import visitor_token


def start(client: TestClient, **body: object) -> dict:
    r = client.post("/api/conversations", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_start_anonymous_returns_a_visitor_token_that_keeps_the_visitor(app_client: TestClient, db: Database) -> None:
    first = start(app_client)
    assert first["visitor_token"]
    again = start(app_client, visitor_token=first["visitor_token"])
    assert again["visitor_token"] == first["visitor_token"]
    with db.session() as s:
        a = s.get(Conversation, first["conversation_id"])
        b = s.get(Conversation, again["conversation_id"])
        assert a is not None and b is not None and a.customer_id == b.customer_id


def test_start_with_forged_or_foreign_visitor_token_is_refused(app_client: TestClient, db: Database) -> None:
    first = start(app_client)
    forged = first["visitor_token"][:-2] + ("AA" if not first["visitor_token"].endswith("AA") else "BB")
    assert app_client.post("/api/conversations", json={"visitor_token": forged}).status_code == 403
    assert app_client.post("/api/conversations", json={"visitor_token": "x" * 300}).status_code == 422
    with db.session() as s:
        signed_in = factories.customer(s, external_id="cust-7", name="Kim")
        token = visitor_token("test-secret", signed_in.id)  # validly signed, but names a signed-in customer
        count = s.query(Conversation).count()
    assert app_client.post("/api/conversations", json={"visitor_token": token}).status_code == 403
    with db.session() as s:
        assert s.query(Conversation).count() == count  # nothing stored


def test_start_with_missing_or_forged_identity_hash_is_still_refused(app_client: TestClient) -> None:
    first = start(app_client)
    for body in ({"customer": {"external_id": "cust-1001"}, "visitor_token": first["visitor_token"]},
                 {"customer": {"external_id": "cust-1001", "identity_hash": "0" * 64}}):
        assert app_client.post("/api/conversations", json=body).status_code == 403


def test_visitor_token_after_verification_finds_the_customer(app_client: TestClient, db: Database) -> None:
    first = start(app_client)
    with db.session() as s:
        ana = factories.customer(s, external_id="cust-1001", name="Ana Silva")
        visitor = s.get(Conversation, first["conversation_id"]).customer  # type: ignore[union-attr]
        merge_visitor(s, visitor, ana)
        ana_id = ana.id
    again = start(app_client, visitor_token=first["visitor_token"])
    assert again["customer"] == {"name": "Ana Silva"}
    with db.session() as s:
        assert store.get_conversation(s, again["conversation_id"]).customer_id == ana_id


def test_customer_event_drops_trigger_reason_and_notes() -> None:
    queued = Event(events.CONVERSATION_QUEUED, {"agent_id": 3, "trigger": "negative_sentiment",
                                                "reason": "Customer is upset (sentiment -0.92)", "case_number": "CS-1"},
                   conversation_id="c1")
    moved = Event(events.CONVERSATION_TRANSFERRED, {"agent_id": 4, "from_agent_id": 3, "note": "difficult customer"},
                  conversation_id="c1")
    assert customer_event(queued)["data"] == {"case_number": "CS-1"}
    assert customer_event(moved)["data"] == {}
    assert customer_event(moved)["event"] == events.CONVERSATION_TRANSFERRED


def test_websocket_handoff_event_carries_no_internal_text(app_client: TestClient) -> None:
    data = start(app_client)
    cid, token = data["conversation_id"], data["token"]
    rt = app_client.app.state.runtime  # type: ignore[attr-defined]
    with app_client.websocket_connect(f"/api/conversations/{cid}/ws?token={token}") as ws:
        rt.bus.emit(events.CONVERSATION_QUEUED, cid, agent_id=None, trigger="negative_sentiment",
                    reason="Customer is upset (sentiment -0.92, frustration 1.00)", case_number="CS-10001")
        got = ws.receive_json()
    assert got["event"] == "conversation.queued" and got["data"] == {"case_number": "CS-10001"}
    assert "upset" not in str(got) and "negative_sentiment" not in str(got)


def test_admin_rule_actions_include_the_identity_rules() -> None:
    from web.routes.admin import rule_actions

    actions = rule_actions()
    assert actions["give_identifier"] == "action_identify"
    assert actions["enter_code"] == "action_verify_identity"
    assert actions["case_status"] == "action_case_status"  # data/rules.yml still read
