from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from core.db import Database
from crm import store
from tests import factories
from tests.web.conftest import start
from web.security import identity_hash


def test_start_anonymous_then_chat_and_read_back(app_client: TestClient) -> None:
    cid, auth = start(app_client)
    r = app_client.post(f"/api/conversations/{cid}/messages", json={"text": "hello", "client_id": "m1"}, headers=auth)
    assert r.status_code == 201
    body = r.json()
    assert [(m["sender"], m["text"]) for m in body["messages"]] == [
        ("customer", "hello"),
        ("bot", "Hello from the bot"),
    ]
    assert body["owner"] == {"kind": "bot", "name": "Tidewater assistant", "team": None}
    read = app_client.get(f"/api/conversations/{cid}", headers=auth).json()
    assert read["status"] == "pending"
    assert [m["sender"] for m in read["messages"]] == ["customer", "bot"]
    after = app_client.get(f"/api/conversations/{cid}?after={read['messages'][0]['id']}", headers=auth).json()
    assert [m["sender"] for m in after["messages"]] == ["bot"]


def test_read_without_or_with_wrong_token_is_not_found(app_client: TestClient) -> None:
    cid, _ = start(app_client)
    other, other_auth = start(app_client)
    assert app_client.get(f"/api/conversations/{cid}").status_code == 404
    assert app_client.get(f"/api/conversations/{cid}", headers=other_auth).status_code == 404
    assert (
        app_client.post(f"/api/conversations/{cid}/messages", json={"text": "hi"}, headers=other_auth).status_code
        == 404
    )


def test_start_as_customer_requires_the_sites_identity_hash(app_client: TestClient, db: Database) -> None:
    with db.session() as s:
        factories.customer(s, external_id="cust-1001", name="Ana Silva")
    r = app_client.post("/api/conversations", json={"customer": {"external_id": "cust-1001"}})
    assert r.status_code == 403
    r = app_client.post(
        "/api/conversations", json={"customer": {"external_id": "cust-1001", "identity_hash": "0" * 64}}
    )
    assert r.status_code == 403
    good = identity_hash("test-secret", "cust-1001")
    r = app_client.post("/api/conversations", json={"customer": {"external_id": "cust-1001", "identity_hash": good}})
    assert r.status_code == 201
    assert r.json()["customer"] == {"name": "Ana Silva"}
    with db.session() as s:
        conv = store.get_conversation(s, r.json()["conversation_id"])
        assert conv.customer.external_id == "cust-1001"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"text": ""}, 422, "empty"),
        ({"text": "   "}, 422, "empty"),
        ({"text": "x" * 2001}, 413, "too_long"),
        ({"text": 5}, 422, None),
        ({}, 422, None),
        ({"text": "hi", "extra": 1}, 422, None),
    ],
)
def test_post_message_bad_input_is_refused_and_nothing_stored(
    app_client: TestClient, db: Database, body: dict, status: int, code: str | None
) -> None:
    cid, auth = start(app_client)
    r = app_client.post(f"/api/conversations/{cid}/messages", json=body, headers=auth)
    assert r.status_code == status
    if code:
        assert r.json()["detail"]["code"] == code
    with db.session() as s:
        assert list(store.list_messages(s, cid)) == []


def test_post_message_non_utf8_and_oversized_bodies_are_refused(app_client: TestClient, db: Database) -> None:
    cid, auth = start(app_client)
    headers = {**auth, "Content-Type": "application/json"}
    r = app_client.post(f"/api/conversations/{cid}/messages", content=b'{"text": "caf\xe9"}', headers=headers)
    assert (r.status_code, r.json()) == (400, {"detail": "request body is not valid UTF-8"})
    # Valid JSON, but a lone surrogate is no text: refused, not a 500 from the tokenizer or the database.
    r = app_client.post(f"/api/conversations/{cid}/messages", content=b'{"text": "broken \\ud800 text"}',
                        headers=headers)
    assert (r.status_code, r.json()["detail"]["code"]) == (422, "not_utf8")
    r = app_client.post(
        f"/api/conversations/{cid}/messages", content=b'{"text": "' + b"a" * 70000 + b'"}', headers=headers
    )
    assert r.status_code == 413
    r = app_client.post(f"/api/conversations/{cid}/messages", content=b"{not json", headers=headers)
    assert r.status_code == 422
    with db.session() as s:
        assert list(store.list_messages(s, cid)) == []
    # and the worker keeps serving
    assert (
        app_client.post(f"/api/conversations/{cid}/messages", json={"text": "hello"}, headers=auth).status_code == 201
    )


def test_post_message_html_is_stored_verbatim_as_text(app_client: TestClient) -> None:
    cid, auth = start(app_client)
    evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    r = app_client.post(f"/api/conversations/{cid}/messages", json={"text": evil}, headers=auth)
    assert r.json()["messages"][0]["text"] == evil  # the widget sets it with textContent


def test_websocket_streams_new_messages_of_its_conversation_only(app_client: TestClient) -> None:
    cid, auth = start(app_client)
    other, other_auth = start(app_client)
    token = auth["X-Conversation-Token"]
    with app_client.websocket_connect(f"/api/conversations/{cid}/ws?token={token}") as ws:
        app_client.post(f"/api/conversations/{other}/messages", json={"text": "elsewhere"}, headers=other_auth)
        app_client.post(f"/api/conversations/{cid}/messages", json={"text": "hello"}, headers=auth)
        first, second = ws.receive_json(), ws.receive_json()
    assert (first["event"], first["data"]["text"]) == ("message.created", "hello")
    assert (second["data"]["sender"], second["data"]["text"]) == ("bot", "Hello from the bot")


def test_websocket_with_bad_token_is_closed(app_client: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    cid, _ = start(app_client)
    with (
        pytest.raises(WebSocketDisconnect) as err,
        app_client.websocket_connect(f"/api/conversations/{cid}/ws?token=x") as ws,
    ):
        ws.receive_json()
    assert err.value.code == 4404


def test_openapi_documents_the_customer_api(app_client: TestClient) -> None:
    paths = app_client.get("/openapi.json").json()["paths"]
    assert {
        "/api/conversations",
        "/api/conversations/{conversation_id}",
        "/api/conversations/{conversation_id}/messages",
    } <= set(paths)
    assert app_client.get("/docs").status_code == 200


def test_demo_page_embeds_the_widget_with_one_script_tag(app_client: TestClient, db: Database) -> None:
    with db.session() as s:
        factories.customer(s, external_id="cust-1001", name="Ana Silva")
    page = app_client.get("/demo").text
    assert page.count("<script") == 1 and "/static/widget.js" in page
    signed_in = app_client.get("/demo?as=cust-1001").text
    assert f'data-identity-hash="{identity_hash("test-secret", "cust-1001")}"' in signed_in
    assert app_client.get("/static/widget.js").status_code == 200


def test_rating_only_after_a_resolved_chat_and_only_once(app_client: TestClient, db: Database) -> None:
    from core.events import EventBus
    from crm import ConversationStatus
    from escalation import resolve

    cid, auth = start(app_client)
    url = f"/api/conversations/{cid}/rating"
    assert app_client.post(url, json={"rating": 5}, headers=auth).status_code == 409  # nothing to rate yet
    with db.session() as s:
        maria = store.agent_by_username(s, "maria")
        store.set_status(s, cid, ConversationStatus.OPEN, assigned_agent_id=maria.id)  # type: ignore[union-attr]
        assert resolve(s, cid, maria.id, EventBus())  # type: ignore[union-attr]
    assert app_client.post(url, json={"rating": 6}, headers=auth).status_code == 422
    assert app_client.post(url, json={"rating": 4}, headers=auth).json() == {"rating": 4}
    assert app_client.post(url, json={"rating": 1}, headers=auth).status_code == 409  # once
    with db.session() as s:
        assert store.get_conversation(s, cid).rating == 4
        assert [m.text for m in store.list_messages(s, cid)][-1] == "Thank you for rating us 4/5."
