"""The inbox API: views, unread counts, who may read what, search limited to what the agent may see."""

from __future__ import annotations

from fastapi.testclient import TestClient

from core.db import Database
from crm import store
from tests import factories
from tests.web.test_console import login, queued_for


def test_inbox_views_mark_chats_routed_to_me_with_unread_counts(app_client: TestClient, db: Database) -> None:
    mine = queued_for(db, "maria")
    anyone = queued_for(db, None)
    login(app_client, "maria")
    body = app_client.get("/api/console/inbox?view=mine").json()
    assert [i["id"] for i in body["items"]] == [mine]
    item = body["items"][0]
    assert (item["routed_to_me"], item["unread"], item["tag"], item["customer"]) == (
        True, 1, "asked for a person", "Ana Silva")
    assert body["routed_to_me"] == [mine]
    assert [i["id"] for i in app_client.get("/api/console/inbox?view=unassigned").json()["items"]] == [anyone]
    app_client.get(f"/api/console/conversations/{mine}")  # reading it marks it read
    assert app_client.get("/api/console/inbox?view=mine").json()["items"][0]["unread"] == 0
    assert app_client.get("/api/console/inbox?view=all").status_code == 422  # admins only


def test_inbox_team_mates_may_read_but_other_teams_may_not(app_client: TestClient, db: Database) -> None:
    cid = queued_for(db, "maria")
    with db.session() as s:
        factories.agent(s, "bea", display_name="Bea Billing", team="Billing")
        factories.agent(s, "tom", display_name="Tom Tech", team="Technical Support")
    login(app_client, "bea")
    assert app_client.get(f"/api/console/conversations/{cid}").status_code == 200
    assert cid in [i["id"] for i in app_client.get("/api/console/inbox?view=team").json()["items"]]
    assert app_client.post(f"/api/console/conversations/{cid}/accept").status_code == 409  # read-only for her
    login(app_client, "tom")
    assert app_client.get(f"/api/console/conversations/{cid}").status_code == 404
    assert app_client.get("/api/console/search?q=bill").json()["results"] == []
    login(app_client, "maria")
    assert [r["id"] for r in app_client.get("/api/console/search?q=bill").json()["results"]] == [cid]
    assert app_client.get("/api/console/search?since=2026-02-02&until=2026-01-01").status_code == 422


def test_transfer_targets_list_only_colleagues_who_can_take_it_now(app_client: TestClient, db: Database) -> None:
    cid = queued_for(db, "maria")
    with db.session() as s:
        factories.agent(s, "ola", display_name="Ola Online", team="Billing", status="online")
        factories.agent(s, "aya", display_name="Aya Away", team="Billing", status="away")
        store.agent_by_username(s, "root").status = "online"  # an admin takes no chats
    login(app_client, "maria")
    app_client.post(f"/api/console/conversations/{cid}/accept")
    body = app_client.get(f"/api/console/conversations/{cid}/transfer-targets").json()
    assert [a["username"] for a in body["agents"]] == ["ola"] and body["teams"] == ["Billing"]
