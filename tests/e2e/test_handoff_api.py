"""Handoff through the real product: nobody online becomes a case; transfer keeps the packet."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import Product
from tests.e2e.staff import agent_client, all_offline, ensure_agent

pytestmark = pytest.mark.e2e


def start(client: httpx.Client) -> tuple[str, dict[str, str]]:
    r = client.post("/api/conversations", json={})
    return r.json()["conversation_id"], {"X-Conversation-Token": r.json()["token"]}


def test_nobody_online_opens_a_case_with_a_promised_time(product: Product) -> None:
    all_offline(product)
    with httpx.Client(base_url=product.base, timeout=30) as c:
        cid, auth = start(c)
        r = c.post(f"/api/conversations/{cid}/messages", json={"text": "can I speak to a real person please"},
                   headers=auth).json()
        assert r["status"] == "queued"
        last = r["messages"][-1]
        assert last["sender"] == "system" and last["meta"]["kind"] == "case_opened"
        assert "A person will get back to you by" in last["text"]
        assert last["meta"]["options"] == ["Email me", "Call me", "Reply here in the chat"]
        r = c.post(f"/api/conversations/{cid}/messages", json={"text": "Email me"}, headers=auth).json()
        assert r["messages"][-1]["text"] == "What email address should we use?"  # an anonymous visitor
        r = c.post(f"/api/conversations/{cid}/messages", json={"text": "ana.silva@example.com"}, headers=auth).json()
        assert r["messages"][-1]["text"].startswith(
            "Thanks — we'll get back to you by email at ana.silva@example.com about case CS-")
    ensure_agent(product, "e2e-admin-view", "Queue Watcher")
    agent = agent_client(product, "e2e-admin-view", status="away")
    queue = agent.get("/api/console/conversations").json()["queue"]
    assert cid in [row["id"] for row in queue]  # unassigned: every agent sees it
    agent.close()


def test_transfer_to_another_agent_keeps_the_packet(product: Product) -> None:
    all_offline(product)
    ensure_agent(product, "e2e-ann", "Ann Able", team="Billing")
    ensure_agent(product, "e2e-ben", "Ben Best", team="Technical Support")
    ann = agent_client(product, "e2e-ann")
    with httpx.Client(base_url=product.base, timeout=30) as c:
        cid, auth = start(c)
        r = c.post(f"/api/conversations/{cid}/messages", json={"text": "I want to talk to a human"}, headers=auth)
        owner = r.json()["owner"]
        assert {k: owner[k] for k in ("kind", "name", "team", "queue_position", "expected_wait_seconds")} == {
            "kind": "queue", "name": "Ann Able", "team": "Billing", "queue_position": 1, "expected_wait_seconds": 0}
        assert (owner["waiting_title"], owner["promise"]) == ("Ann Able will join you", "Ann will join you in a moment")
        assert r.json()["messages"][-1]["text"].startswith("Ann Able from Billing will join you")
        ben = agent_client(product, "e2e-ben")
        assert ben.post(f"/api/console/conversations/{cid}/accept").status_code == 404  # not his
        assert ann.post(f"/api/console/conversations/{cid}/accept").json() == {"accepted": True}
        packet = ann.get(f"/api/console/conversations/{cid}").json()["packet"]
        assert packet["reason"] == "Customer asked for a person: 'I want to talk to a human'"
        r = ann.post(f"/api/console/conversations/{cid}/transfer", json={"to_agent": "e2e-ben", "note": "line fault"})
        assert r.json() == {"transferred": True}
        detail = ben.get(f"/api/console/conversations/{cid}").json()
        assert detail["packet"]["transfer_note"] == "line fault"
        assert detail["packet"]["summary"] == packet["summary"]
        assert "Transfer to Ben Best: line fault" in [m["text"] for m in detail["messages"] if m["sender"] == "note"]
        assert ben.post(f"/api/console/conversations/{cid}/accept").json() == {"accepted": True}
        view = c.get(f"/api/conversations/{cid}", headers=auth).json()
        assert view["owner"] == {"kind": "human", "name": "Ben Best", "team": "Technical Support"}
        assert all(m["sender"] != "note" for m in view["messages"])  # internal notes never reach the customer
        ben.post(f"/api/console/conversations/{cid}/resolve")
        ann.put("/api/console/me/status", json={"status": "offline"})
        ben.put("/api/console/me/status", json={"status": "offline"})
    ann.close()
    ben.close()
