"""Faults in the real embedded product: kill -9 of the dialogue server must not close the desk."""

from __future__ import annotations

import os
import signal
import time

import httpx
import pytest
from sqlalchemy import select

from bot.loop import DIALOGUE_DOWN_TEXT
from core.db import Database
from crm import Message
from tests.e2e.conftest import Product
from tests.e2e.staff import agent_client, ensure_agent

pytestmark = pytest.mark.e2e


def _start(c: httpx.Client) -> tuple[str, dict[str, str]]:
    r = c.post("/api/conversations", json={})
    assert r.status_code == 201, r.text
    return r.json()["conversation_id"], {"X-Conversation-Token": r.json()["token"]}


def _dead(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] == "Z"
    except FileNotFoundError:
        return True


def test_rasa_killed_mid_conversation_is_restarted_while_app_and_console_keep_serving(product: Product) -> None:
    ensure_agent(product, "e2e-fault-fay", "Fay Fault")
    fay = agent_client(product, "e2e-fault-fay")
    app_pid, rasa_pid = product.pid("app"), product.pid("rasa")
    with httpx.Client(base_url=product.base, timeout=30) as c:
        cid, auth = _start(c)
        r = c.post(f"/api/conversations/{cid}/messages", json={"text": "hi there"}, headers=auth).json()
        assert [m["sender"] for m in r["messages"]] == ["customer", "bot"]

        os.kill(rasa_pid, signal.SIGKILL)
        killed = time.monotonic()
        while not _dead(rasa_pid):
            assert time.monotonic() - killed < 10
            time.sleep(0.05)

        # During the outage: the customer is told honestly, and goes to a named person.
        r = c.post(f"/api/conversations/{cid}/messages", json={"text": "my internet keeps dropping every evening",
                                                                "client_id": "fault-1"}, headers=auth)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["messages"][0]["sender"] == "customer"
        assert DIALOGUE_DOWN_TEXT in [m["text"] for m in body["messages"]]
        assert body["status"] == "queued" and body["owner"]["kind"] == "queue" and body["owner"]["name"]
        # A retry of the same message (the widget's network retry) is stored once.
        again = c.post(f"/api/conversations/{cid}/messages", json={"text": "my internet keeps dropping every evening",
                                                                    "client_id": "fault-1"}, headers=auth).json()
        assert again["duplicate"] is True

        # The app and the console keep serving.
        assert c.get("/health").status_code == 200
        assert c.get(f"/api/conversations/{cid}", headers=auth).status_code == 200
        listing = fay.get("/api/console/conversations")
        assert listing.status_code == 200
        assert fay.get("/console").status_code == 200

        # Within a minute the bot answers again (a new conversation: the old one now belongs to a person).
        while c.get("/health/dialogue").json() != {"rasa": "ok"}:
            assert time.monotonic() - killed < 60, "".join(product.output[-20:])
            time.sleep(0.5)
        cid2, auth2 = _start(c)
        r = c.post(f"/api/conversations/{cid2}/messages", json={"text": "hi there"}, headers=auth2).json()
        assert [m["sender"] for m in r["messages"]] == ["customer", "bot"]
        assert r["status"] == "pending"
        recovered = time.monotonic() - killed
        assert recovered < 60
    fay.put("/api/console/me/status", json={"status": "offline"})  # route no later test's handoff to Fay
    fay.close()

    assert product.pid("app") == app_pid  # the app was never restarted
    assert product.pid("rasa") != rasa_pid
    # Rasa answered before the supervisor's next health check: give its line a moment to be printed.
    deadline = time.monotonic() + 30
    while "[firstline] rasa is serving again (" not in "".join(product.output) and time.monotonic() < deadline:
        time.sleep(0.5)
    said = "".join(product.output)
    assert "[firstline] rasa stopped unexpectedly (code -9); restarting in 1s (restart 1)" in said
    assert "[firstline] rasa is serving again (" in said
    assert "stopping…" not in said

    db = Database(product.db_url())
    with db.session() as s:
        texts = [m.text for m in s.scalars(select(Message).where(Message.conversation_id == cid,
                                                                 Message.sender == "customer"))]
    db.dispose()
    assert texts == ["hi there", "my internet keeps dropping every evening"]  # nothing lost, nothing twice
    print(f"\nrasa killed -> bot answering again after {recovered:.1f}s")


def test_supervisor_holds_no_training_memory(product: Product) -> None:
    assert product.proc is not None
    with open(f"/proc/{product.proc.pid}/status") as f:
        rss_kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    # The models load in `firstline train` (a child) and in the app; the supervisor itself is small.
    assert rss_kb < 150 * 1024, f"supervisor resident {rss_kb / 1024:.0f} MB"
    print(f"\nsupervisor resident: {rss_kb / 1024:.0f} MB")
