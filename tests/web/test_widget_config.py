"""The widget's config and the waiting customer's header: business hours and the same promise as the messages."""

from __future__ import annotations

from fastapi.testclient import TestClient

from core.db import Database
from crm import ConversationStatus, Sender, store
from tests import factories
from tests.web.conftest import start


def test_widget_config_gives_hours_and_reply_time_without_login(app_client: TestClient, db: Database) -> None:
    with db.session() as s:
        store.agent_by_username(s, "maria").status = "offline"
        factories.agent(s, "grace", display_name="Grace W", status="offline", timezone="UTC",
                        working_hours={"mon-sun": "07:00-19:00"})
    r = app_client.get("/api/widget/config")
    assert r.status_code == 200
    body = r.json()
    assert body["hours"] == "Mon–Sun 07:00–19:00 (UTC)"  # maria has no hours (always on shift, now offline)
    assert body["reply"].startswith("No one is available to chat now · a person will reply by ")
    assert body["greeting"] and body["color"] == "#0b5cad"


def test_waiting_customer_header_carries_the_case_promise(app_client: TestClient, db: Database) -> None:
    cid, headers = start(app_client)
    with db.session() as s:
        conv = store.get_conversation(s, cid)
        store.add_message(s, conv, Sender.CUSTOMER, "help")
        factories.case(s, conv.customer, number="CS-10565", conversation_id=cid, promised_by=None)
        store.set_status(s, cid, ConversationStatus.QUEUED, assigned_agent_id=None)
    owner = app_client.get(f"/api/conversations/{cid}", headers=headers).json()["owner"]
    assert (owner["kind"], owner["waiting_title"], owner["receipt"]) == (
        "queue", "Case CS-10565 is open", "Added to case CS-10565")
