"""Production mode for real: uvicorn workers + two Rasa servers on PostgreSQL (own database) and Redis.

"Worker B" is a second app process on its own port (tests/e2e/workers.py): the honest way to force a
reply to cross workers.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
import zlib
from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.conftest import PG_URL, REDIS_URL
from tests.e2e.conftest import Product
from tests.e2e.staff import ensure_agent
from tests.e2e.workers import production_product, second_worker, staff

pytestmark = pytest.mark.e2e

SECRET = "production-e2e-secret-0123456789"


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    if not PG_URL or not REDIS_URL:
        pytest.skip("production mode needs DATABASE_URL (PostgreSQL) and REDIS_URL (.ci/run sets both)")
    with production_product(tmp_path_factory.mktemp("prod"), secret=SECRET, redis_url=REDIS_URL,
                            workers=2, rasa_servers=2) as p:
        yield p


@pytest.fixture
def opened() -> Iterator[list[httpx.Client]]:
    """Clients a test opened, closed even when it fails half-way (a leaked socket's ResourceWarning
    would otherwise fail whichever later test the garbage collector runs in)."""
    clients: list[httpx.Client] = []
    yield clients
    for c in clients:
        c.close()


@pytest.fixture(scope="module")
def worker_b(prod: Product) -> Iterator[str]:
    """A second app process on its own port, sharing the production product's database, Redis and Rasa."""
    with second_worker(prod) as base:
        yield base


def test_production_health_says_postgres_and_redis(prod: Product) -> None:
    health = httpx.get(f"{prod.base}/health", timeout=10).json()
    assert health == {"status": "ok", "database": "postgresql", "live_events": "redis"}
    said = "".join(prod.output)
    assert "[firstline] starting app, rasa-1, rasa-2…" in said


def test_production_customer_on_worker_a_sees_live_the_reply_an_agent_sent_through_worker_b(
        prod: Product, worker_b: str, opened: list[httpx.Client]) -> None:
    ensure_agent(prod, "prod-paula", "Paula Prod")
    agent = staff(worker_b, "prod-paula")
    opened.append(agent)
    with httpx.Client(base_url=prod.base, timeout=30) as customer:
        r = customer.post("/api/conversations", json={})
        cid, token = r.json()["conversation_id"], r.json()["token"]
        auth = {"X-Conversation-Token": token}
        r = customer.post(f"/api/conversations/{cid}/messages", json={"text": "I want to talk to a real person"},
                          headers=auth).json()
        assert r["status"] == "queued" and r["owner"]["name"] == "Paula Prod"
        ws_url = prod.base.replace("http", "ws") + f"/api/conversations/{cid}/ws?token={token}"
        with connect(ws_url, open_timeout=10) as ws:
            time.sleep(0.3)  # subscribed before the agent writes
            assert agent.post(f"/api/console/conversations/{cid}/accept").json() == {"accepted": True}
            sent = time.monotonic()
            r = agent.post(f"/api/console/conversations/{cid}/reply", json={"text": "Hi, Paula here. Let me look."})
            assert r.status_code == 201, r.text
            got: list[dict] = []
            while not any(e["event"] == "message.created" and e["data"]["sender"] == "agent" for e in got):
                assert time.monotonic() - sent < 10, got
                got.append(json.loads(ws.recv(timeout=10)))
            latency = time.monotonic() - sent
        [reply] = [e for e in got if e["event"] == "message.created" and e["data"]["sender"] == "agent"]
        assert reply["data"]["text"] == "Hi, Paula here. Let me look."
        assert reply["data"]["agent_name"] == "Paula Prod"
        assert [e["data"]["id"] for e in got if e["event"] == "message.created"].count(reply["data"]["id"]) == 1
        # And the customer, re-reading through worker A, finds it stored once.
        msgs = customer.get(f"/api/conversations/{cid}", headers=auth).json()["messages"]
        assert [m["text"] for m in msgs].count("Hi, Paula here. Let me look.") == 1
    agent.close()
    print(f"\nagent reply via worker B -> customer WebSocket on worker A: {latency * 1000:.0f} ms")


def test_production_rasa_killed_other_server_answers_and_supervisor_restarts_it(prod: Product) -> None:
    rasa_1 = prod.pid("rasa-1")
    with httpx.Client(base_url=prod.base, timeout=30) as c:
        def start() -> tuple[str, dict[str, str]]:
            r = c.post("/api/conversations", json={})
            return r.json()["conversation_id"], {"X-Conversation-Token": r.json()["token"]}

        cid, auth = start()
        while zlib.crc32(cid.encode()) % 2 != 0:  # a conversation that sticks to rasa-1
            cid, auth = start()
        r = c.post(f"/api/conversations/{cid}/messages", json={"text": "hi there"}, headers=auth).json()
        assert [m["sender"] for m in r["messages"]] == ["customer", "bot"]
        os.kill(rasa_1, signal.SIGKILL)
        killed = time.monotonic()
        # Its conversations carry on with rasa-2 (shared tracker in PostgreSQL, lock in Redis): no handoff.
        r = c.post(f"/api/conversations/{cid}/messages", json={"text": "how do I reset my password?"},
                   headers=auth).json()
        assert r["status"] == "pending", (r, (prod.data_dir / "logs" / "app.log").read_text()[-3000:])
        assert [m["sender"] for m in r["messages"]] == ["customer", "bot"]
        assert r["messages"][1]["meta"].get("kind") == "kb_answer"
        while True:
            try:
                if httpx.get(prod.rasa + "/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() - killed < 60, "".join(prod.output[-20:])
            time.sleep(0.5)
    assert prod.pid("rasa-1") != rasa_1
    assert "[firstline] rasa-1 stopped unexpectedly (code -9); restarting in 1s" in "".join(prod.output)
    print(f"\nproduction: rasa-1 back after {time.monotonic() - killed:.1f}s; no customer noticed")


def _children(pid: int) -> list[int]:
    """uvicorn's worker processes under its master (not multiprocessing's resource tracker)."""
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    worker = b"spawn_main" in f.read()
            except (OSError, ValueError):
                continue
            if parent == pid and worker:
                kids.append(int(entry))
    return kids


def _process_holding(server_port: int, client_port: int, candidates: list[int]) -> int:
    """The process (among candidates) whose socket serves the connection from client_port."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                local, remote = int(cols[1].rsplit(":", 1)[1], 16), int(cols[2].rsplit(":", 1)[1], 16)
                if local == server_port and remote == client_port:
                    inodes.add(f"socket:[{cols[9]}]")
    for pid in candidates:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return pid
            except OSError:
                pass
    raise AssertionError(f"no worker holds the connection from port {client_port}")


def test_production_app_worker_killed_websocket_client_reconnects_and_misses_nothing(
        prod: Product, worker_b: str, opened: list[httpx.Client]) -> None:
    from tests.e2e.staff import all_offline

    all_offline(prod)
    ensure_agent(prod, "prod-wanda", "Wanda Worker")
    agent = staff(worker_b, "prod-wanda")
    opened.append(agent)
    master = prod.pid("app")
    workers = _children(master)
    assert len(workers) == 2, workers
    port = int(prod.base.rsplit(":", 1)[1])
    with httpx.Client(base_url=prod.base, timeout=30) as customer:
        r = customer.post("/api/conversations", json={})
        cid, token = r.json()["conversation_id"], r.json()["token"]
        auth = {"X-Conversation-Token": token}
        r = customer.post(f"/api/conversations/{cid}/messages", json={"text": "can I speak to a person please"},
                          headers=auth).json()
        assert r["owner"]["name"] == "Wanda Worker", r["owner"]
        assert agent.post(f"/api/console/conversations/{cid}/accept").json() == {"accepted": True}
        last_id = max(m["id"] for m in customer.get(f"/api/conversations/{cid}", headers=auth).json()["messages"])
        ws_url = prod.base.replace("http", "ws") + f"/api/conversations/{cid}/ws?token={token}"
        ws = connect(ws_url, open_timeout=10)
        victim = _process_holding(port, ws.socket.getsockname()[1], workers)
        os.kill(victim, signal.SIGKILL)
        with pytest.raises(ConnectionClosed):  # the connection drops with its worker
            while True:
                ws.recv(timeout=10)
        ws.close()
        # While the customer is disconnected, the agent writes (through worker B).
        assert agent.post(f"/api/console/conversations/{cid}/reply",
                          json={"text": "Still here - checking your line now."}).status_code == 201
        # The widget reconnects (to the other worker, or the one uvicorn started instead) and re-reads
        # after the last id it has: the message sent in the gap is there, once.
        deadline = time.monotonic() + 30
        while True:
            try:
                ws = connect(ws_url, open_timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.5)
        missed = customer.get(f"/api/conversations/{cid}?after={last_id}", headers=auth).json()["messages"]
        assert [m["text"] for m in missed if m["sender"] == "agent"] == ["Still here - checking your line now."]
        # and live events flow again on the new connection
        time.sleep(0.3)
        agent.post(f"/api/console/conversations/{cid}/reply", json={"text": "Found it: a fault at the cabinet."})
        got: list[dict] = []
        while not any(e["event"] == "message.created" and e["data"]["sender"] == "agent" for e in got):
            got.append(json.loads(ws.recv(timeout=10)))
        assert [e["data"]["text"] for e in got if e["event"] == "message.created"] == [
            "Found it: a fault at the cabinet."]
        ws.close()
    agent.close()
    deadline = time.monotonic() + 120
    while True:  # uvicorn replaced the killed worker; the supervisor never had to restart the app
        now = _children(master)
        if len(now) == 2 and victim not in now:
            break
        assert time.monotonic() < deadline, now
        time.sleep(1)
    assert prod.pid("app") == master


def admin(base: str, prod: Product) -> httpx.Client:
    """The admin, logged in on one app process (the Secure cookie sent by hand, as in staff())."""
    c = httpx.Client(base_url=base, timeout=30)
    r = c.post("/login", data={"username": "admin", "password": prod.credentials()["admin"]})
    assert r.status_code in (200, 303), r.text
    c.headers["Cookie"] = f"firstline_session={r.cookies.get('firstline_session') or c.cookies['firstline_session']}"
    c.headers["X-CSRF-Token"] = c.get("/api/console/me").json()["csrf_token"]
    return c


def test_production_erasure_through_worker_a_empties_worker_bs_caches(prod: Product, worker_b: str) -> None:
    tag = uuid.uuid4().hex[:8]
    said = [f"my internet drops every evening, ref {tag}", f"how do I reset my router? ref {tag}"]
    with httpx.Client(base_url=worker_b, timeout=30) as customer, closing(admin(prod.base, prod)) as on_a, \
            closing(admin(worker_b, prod)) as on_b:
        r = customer.post("/api/conversations", json={"customer": {"name": f"Erin Wipe{tag}"}})
        cid, auth = r.json()["conversation_id"], {"X-Conversation-Token": r.json()["token"]}
        for line in said:  # worker B parses them and weighs the turn: its caches hold the words
            assert customer.post(f"/api/conversations/{cid}/messages", json={"text": line},
                                 headers=auth).status_code == 201
        held = on_b.post("/api/admin/customers/memory", json={"texts": said}).json()["caches"]
        assert held["nlu_parses"] == 2, held
        page = on_a.get(f"/admin/customers?q={tag}").text
        customer_id = page.split("/api/admin/customers/")[1].split("/export")[0]

        assert on_a.post(f"/api/admin/customers/{customer_id}/erase").status_code == 200

        deadline = time.monotonic() + 10  # customer.erased crosses Redis to worker B
        while (held := on_b.post("/api/admin/customers/memory", json={"texts": said}).json()["caches"]) != \
                dict.fromkeys(held, 0):
            assert time.monotonic() < deadline, held
            time.sleep(0.2)
