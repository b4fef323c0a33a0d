"""Regression tests for the server errors schemathesis found (issue 12): each is now a clear 4xx."""

from __future__ import annotations

from fastapi.testclient import TestClient

from core.db import Database
from crm import ConversationStatus, Sender, store
from tests import factories
from tests.web.conftest import start

BEYOND_64_BITS = 2**64 + 1
BEYOND_INT4 = 2**31  # message ids are int4 on PostgreSQL


def test_read_after_beyond_64_bits_is_refused(app_client: TestClient) -> None:
    cid, auth = start(app_client)
    r = app_client.get(f"/api/conversations/{cid}?after={BEYOND_64_BITS}", headers=auth)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "after"]


def test_start_with_lone_surrogate_in_identity_hash_is_refused(app_client: TestClient) -> None:
    body = '{"customer": {"external_id": "cust-1001", "identity_hash": "\\ud800"}}'
    r = app_client.post("/api/conversations", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["detail"]["code"] == "not_utf8"


def test_lone_surrogate_in_a_message_is_refused_and_not_stored(app_client: TestClient, db: Database) -> None:
    cid, auth = start(app_client)
    r = app_client.post(f"/api/conversations/{cid}/messages", content='{"text": "hi \\udfff"}',
                        headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 422
    with db.session() as s:
        assert store.list_messages(s, cid) == []


def test_feedback_with_message_id_beyond_64_bits_is_refused(app_client: TestClient) -> None:
    cid, auth = start(app_client)
    r = app_client.post(f"/api/conversations/{cid}/feedback", json={"message_id": BEYOND_64_BITS, "helpful": True},
                        headers=auth)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "message_id"]


def test_console_typing_reaches_the_customer(app_client: TestClient, db: Database) -> None:
    with db.session() as s:
        conv = factories.conversation(s)
        store.add_message(s, conv, Sender.CUSTOMER, "agent please")
        maria = store.agent_by_username(s, "maria")
        assert maria is not None
        store.set_status(s, conv.id, ConversationStatus.OPEN, assigned_agent_id=maria.id)
        cid, maria_id = conv.id, maria.id
    from tests.web.staff import login

    login(app_client, "maria")
    seen = []
    app_client.app.state.runtime.bus.on("typing.started", seen.append)  # type: ignore[attr-defined]
    r = app_client.post(f"/api/console/conversations/{cid}/typing")
    assert r.status_code == 204
    expected = {"name": "Maria Lopez", "sender": "agent", "agent_id": maria_id}
    assert [(e.conversation_id, e.data) for e in seen] == [(cid, expected)]


def test_nul_characters_are_refused_not_stored_half_way(app_client: TestClient, db: Database) -> None:
    # PostgreSQL text cannot hold NUL: these were 500s there (SQLite stored them).
    r = app_client.post("/api/conversations", json={"customer": {"name": "a\u0000b"}})
    assert (r.status_code, r.json()["detail"]["code"]) == (422, "nul_character")
    cid, auth = start(app_client)
    r = app_client.post(f"/api/conversations/{cid}/messages", json={"text": "hi", "client_id": "x\u0000"},
                        headers=auth)
    assert (r.status_code, r.json()["detail"]["code"]) == (422, "nul_character")
    with db.session() as s:
        assert store.list_messages(s, cid) == []
    from tests.web.staff import login

    login(app_client, "root")
    assert app_client.get("/api/console/conversations/a%00b").status_code == 400
    assert app_client.get("/admin/articles?q=%00").status_code == 400
    r = app_client.post("/admin/preview", data={"body": "a\u0000b"})
    assert (r.status_code, r.json()["detail"]["code"]) == (422, "nul_character")


def test_ids_beyond_the_int4_column_range_are_refused(app_client: TestClient) -> None:
    cid, auth = start(app_client)
    assert app_client.get(f"/api/conversations/{cid}?after={BEYOND_INT4}", headers=auth).status_code == 422
    r = app_client.post(f"/api/conversations/{cid}/feedback", json={"message_id": BEYOND_INT4, "helpful": True},
                        headers=auth)
    assert r.status_code == 422
    assert app_client.get(f"/api/conversations/{cid}?after={BEYOND_INT4 - 1}", headers=auth).status_code == 200
