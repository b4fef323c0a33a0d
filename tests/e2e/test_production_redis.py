"""Redis gone for 10 s under the real production product: live events degrade to polling, nothing is
lost or doubled, and they resume by themselves when Redis is back.

The test kills its own redis-server (tests/production_redis.py: a small product on it, one uvicorn
worker A and one Rasa server, on a PostgreSQL database of its own), and adds worker B
(tests/e2e/workers.py) through which the agent works, so every reply must cross workers. The
customer's side is a model of widget.js: it renders each message id once, polls
`GET ?after=<last id>` every 3 s after `live.degraded` (or a dropped socket), and stops and re-reads
once after `live.restored`. Only a re-read moves its last id: the customer writing while the agent's
reply waits to be polled once made the widget skip that reply (the reply's id is lower than theirs).
"""

from __future__ import annotations

import json
import time
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from bot.loop import DIALOGUE_DOWN_TEXT
from tests.e2e.conftest import Product
from tests.e2e.staff import all_offline, ensure_agent
from tests.e2e.workers import second_worker, staff
from tests.production_redis import live_events
from tests.servers import RedisServer

pytestmark = pytest.mark.e2e

POLL_SECONDS = 3.0  # widget.js: setInterval(refresh, 3000)


@dataclass
class Widget:
    """What widget.js does with its socket and its polls, over one conversation."""

    client: httpx.Client
    cid: str
    token: str
    ws: ClientConnection
    last_id: int = 0
    seen: dict[int, dict[str, Any]] = field(default_factory=dict)
    arrived_by: dict[int, str] = field(default_factory=dict)  # message id -> "live" | "poll"
    status: list[str] = field(default_factory=list)  # live.degraded / live.restored, as told
    polling: bool = False
    last_poll: float = 0.0

    def render(self, m: dict[str, Any], how: str) -> None:
        if m["id"] in self.seen:
            return
        self.seen[m["id"]] = m
        self.arrived_by[m["id"]] = how

    def refresh(self) -> None:
        r = self.client.get(f"/api/conversations/{self.cid}?after={self.last_id}",
                            headers={"X-Conversation-Token": self.token})
        assert r.status_code == 200, r.text
        for m in r.json()["messages"]:
            self.render(m, "poll")
            self.last_id = max(self.last_id, m["id"])  # only a re-read moves it (widget.js refresh)
        self.last_poll = time.monotonic()

    def pump(self, seconds: float) -> None:
        """Handle socket events (and polls while polling) for this long."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                e = json.loads(self.ws.recv(timeout=min(left, 0.2)))
            except TimeoutError:
                e = None
            if e is not None:
                if e["event"] == "message.created":
                    self.render(e["data"], "live")
                elif e["event"] == "live.degraded":
                    self.status.append(e["event"])
                    self.polling = True
                elif e["event"] == "live.restored":
                    self.status.append(e["event"])
                    self.polling = False
                    self.refresh()
            if self.polling and time.monotonic() - self.last_poll >= POLL_SECONDS:
                self.refresh()

    def pump_until(self, done: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, f"{what}: {self.status} {list(self.seen.values())[-3:]}"
            self.pump(0.2)

    def texts(self, sender: str) -> list[str]:
        return [m["text"] for _, m in sorted(self.seen.items()) if m["sender"] == sender]


def console_events(ws: ClientConnection, seconds: float) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        try:
            got.append(json.loads(ws.recv(timeout=min(left, 0.2))))
        except TimeoutError:
            pass
    return got


def console_until(ws: ClientConnection, done: Any, timeout: float) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not done(got):
        assert time.monotonic() < deadline, got
        got += console_events(ws, 0.2)
    return got


def test_production_redis_gone_for_10s_replies_reach_the_customer_by_polling_then_live_again(
        small_prod: Product, redis_server: RedisServer) -> None:
    prod = small_prod
    if redis_server.proc is None:  # an earlier test of this shared product failed while it was killed
        redis_server.start()
    with second_worker(prod) as worker_b, ExitStack() as open_clients:  # closed even when a check fails
        all_offline(prod)
        ensure_agent(prod, "redis-rhea", "Rhea Redis")
        agent = open_clients.enter_context(closing(staff(worker_b, "redis-rhea")))
        customer = open_clients.enter_context(httpx.Client(base_url=prod.base, timeout=30))
        r = customer.post("/api/conversations", json={})
        cid, token = r.json()["conversation_id"], r.json()["token"]
        auth = {"X-Conversation-Token": token}
        r = customer.post(f"/api/conversations/{cid}/messages", json={"text": "I want to talk to a real person"},
                          headers=auth).json()
        assert r["status"] == "queued" and r["owner"]["name"] == "Rhea Redis", r
        assert agent.post(f"/api/console/conversations/{cid}/accept").json() == {"accepted": True}

        ws = open_clients.enter_context(connect(prod.base.replace("http", "ws") + f"/api/conversations/{cid}/ws"
                                                f"?token={token}", open_timeout=10))
        widget = Widget(customer, cid, token, ws)
        widget.refresh()  # as on open: everything so far
        console = open_clients.enter_context(connect(worker_b.replace("http", "ws") + "/api/console/ws",
                                                     open_timeout=10,
                                                     additional_headers={"Cookie": agent.headers["Cookie"]}))
        time.sleep(0.5)  # both subscribed

        def reply(text: str) -> None:
            r = agent.post(f"/api/console/conversations/{cid}/reply", json={"text": text})
            assert r.status_code == 201, r.text

        # Live across workers while Redis is up.
        reply("Hi, Rhea here. Looking now.")
        widget.pump_until(lambda: "Hi, Rhea here. Looking now." in widget.texts("agent"), 10, "live reply")

        redis_server.kill()  # SIGKILL
        killed = time.monotonic()
        widget.pump_until(lambda: widget.status == ["live.degraded"], 10, "customer told live.degraded")
        assert "live.degraded" in [e["event"] for e in console_until(
            console, lambda got: any(e["event"] == "live.degraded" for e in got), 10)]
        assert live_events(prod.base) == live_events(worker_b) == "degraded"  # and still serving (200)

        # While Redis is gone: the agent replies through worker B, the customer writes through worker A.
        reply("Your line test is running - two minutes.")
        r = customer.post(f"/api/conversations/{cid}/messages", json={"text": "ok thanks, I'll wait",
                                                                        "client_id": "during-1"}, headers=auth)
        assert r.status_code == 201 and r.json()["duplicate"] is False, r.text
        widget.render(r.json()["messages"][0], "sent")
        widget.pump_until(lambda: "Your line test is running - two minutes." in widget.texts("agent"),
                          POLL_SECONDS * 3, "reply by polling")
        seen_by_agent = agent.get(f"/api/console/conversations/{cid}").json()["messages"]  # the console polls
        assert [m["text"] for m in seen_by_agent].count("ok thanks, I'll wait") == 1
        # A bot turn meanwhile: Rasa cannot take the conversation's lock (its lock store is this Redis),
        # so the customer is told honestly and handed to a person, as when Rasa is down.
        r = customer.post("/api/conversations", json={})
        cid3, auth3 = r.json()["conversation_id"], {"X-Conversation-Token": r.json()["token"]}
        r = customer.post(f"/api/conversations/{cid3}/messages", json={"text": "hi there"}, headers=auth3).json()
        assert DIALOGUE_DOWN_TEXT in [m["text"] for m in r["messages"]] and r["status"] == "queued", r
        widget.pump(max(0.0, 10 - (time.monotonic() - killed)))  # Redis stays gone for 10 s
        assert redis_server.proc is None and widget.status == ["live.degraded"]

        redis_server.start()  # the same port: nothing to reconfigure
        restarted = time.monotonic()
        widget.pump_until(lambda: widget.status == ["live.degraded", "live.restored"], 15,
                          "customer told live.restored")
        console_until(console, lambda got: any(e["event"] == "live.restored" for e in got), 15)
        resumed = time.monotonic() - restarted
        deadline = time.monotonic() + 15
        while live_events(worker_b) != "redis" or live_events(prod.base) != "redis":
            assert time.monotonic() < deadline
            time.sleep(0.2)

        # Live again, both ways, with nobody polling.
        reply("Found it: the cabinet is fixed.")
        widget.pump_until(lambda: "Found it: the cabinet is fixed." in widget.texts("agent"), 10, "live again")
        customer.post(f"/api/conversations/{cid}/messages", json={"text": "working now, thank you"}, headers=auth)
        got = console_until(console, lambda got: any(
            e["event"] == "message.created" and e["data"].get("text") == "working now, thank you" for e in got), 10)
        got += console_events(console, 1.0)  # anything delivered twice would have arrived by now
        assert [e["data"].get("text") for e in got if e["event"] == "message.created"].count(
            "working now, thank you") == 1

        by_text = {m["text"]: i for i, m in widget.seen.items()}
        assert widget.arrived_by[by_text["Hi, Rhea here. Looking now."]] == "live"
        assert widget.arrived_by[by_text["Your line test is running - two minutes."]] == "poll"
        assert widget.arrived_by[by_text["Found it: the cabinet is fixed."]] == "live"
        assert widget.texts("agent") == ["Hi, Rhea here. Looking now.", "Your line test is running - two minutes.",
                                         "Found it: the cabinet is fixed."]
        # Stored exactly once each, in order: nothing lost, nothing doubled.
        stored = customer.get(f"/api/conversations/{cid}", headers=auth).json()["messages"]
        people = [(m["sender"], m["text"]) for m in stored if m["sender"] in ("customer", "agent")]
        assert people == [("customer", "I want to talk to a real person"),
                          ("agent", "Hi, Rhea here. Looking now."),
                          ("agent", "Your line test is running - two minutes."),
                          ("customer", "ok thanks, I'll wait"),
                          ("agent", "Found it: the cabinet is fixed."),
                          ("customer", "working now, thank you")]
        assert len({m["id"] for m in stored}) == len(stored)

        # The bot answers a new customer again: Rasa's lock store (the same Redis) recovered by itself.
        r = customer.post("/api/conversations", json={})
        cid2, auth2 = r.json()["conversation_id"], {"X-Conversation-Token": r.json()["token"]}
        r = customer.post(f"/api/conversations/{cid2}/messages", json={"text": "hi there"}, headers=auth2).json()
        assert [m["sender"] for m in r["messages"]] == ["customer", "bot"] and r["status"] == "pending", r
    print(f"\nRedis back -> live events resumed after {resumed:.1f}s")
