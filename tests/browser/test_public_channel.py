"""A public complaint end to end: a signed post tops the queue, the agent replies, the reply goes back signed."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from core.db import Database
from crm import Conversation
from outbound import sign_body
from tests.conftest import PUBLIC_CHANNEL_SECRET
from tests.e2e.conftest import Product
from tests.e2e.staff import PASSWORD, all_offline, ensure_agent

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

POST = {"id": "e2e-post-1", "author_handle": "@anna_travels",
        "text": "Our plane has been delayed four hours with children on board and nobody tells us anything. Awful.",
        "url": "https://social.example/anna_travels/e2e-post-1", "follower_count": 10000,
        "posted_at": "2026-12-03T08:15:00Z"}


def public_count(product: Product) -> int:
    db = Database(product.db_url())
    with db.session() as s:
        n = s.scalar(select(func.count()).select_from(Conversation).where(Conversation.channel == "public")) or 0
    db.dispose()
    return int(n)


def post(product: Product, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature:
        headers["X-Firstline-Signature"] = signature
    return httpx.post(f"{product.base}/api/channels/public/posts", content=body, headers=headers, timeout=30)


def test_unsigned_or_malformed_posts_are_refused_and_store_nothing(product: Product) -> None:
    before = public_count(product)
    body = json.dumps(POST | {"id": "e2e-refused"}).encode()
    r = post(product, body, None)
    assert (r.status_code, r.json()["detail"]) == (
        401, "the post is not signed (X-Firstline-Signature: sha256=<HMAC of the body>)")
    assert post(product, body, sign_body("not-the-secret", body)).status_code == 401
    bad = json.dumps(POST | {"id": "e2e-refused", "follower_count": "lots"}).encode()
    r = post(product, bad, sign_body(PUBLIC_CHANNEL_SECRET, bad))
    assert r.status_code == 422 and r.json()["detail"].startswith("the post is malformed: follower_count")
    r = post(product, b"{oops", sign_body(PUBLIC_CHANNEL_SECRET, b"{oops"))
    assert r.status_code == 400
    assert public_count(product) == before


def test_public_post_tops_the_queue_and_the_agents_reply_is_posted_back(browser: Any, product: Product,
                                                                          public_reply_sink: Any) -> None:
    all_offline(product)
    ensure_agent(product, "e2e-pia", "Pia Public")
    ctx = browser.new_context()
    agent = ctx.new_page()
    errors: list[str] = []
    agent.on("pageerror", lambda e: errors.append(str(e)))
    try:
        agent.goto(f"{product.base}/login?next=/console")
        agent.get_by_label("Username").fill("e2e-pia")
        agent.get_by_label("Password").fill(PASSWORD)
        agent.get_by_role("button", name="Log in").click()
        agent.wait_for_url("**/console")
        agent.get_by_label("My status").select_option("online")
        agent.wait_for_timeout(300)

        # An ordinary chat waits first...
        chat = httpx.post(f"{product.base}/api/conversations", json={}, timeout=30).json()
        r = httpx.post(f"{product.base}/api/conversations/{chat['conversation_id']}/messages",
                       json={"text": "I want to talk to a real person please"},
                       headers={"X-Conversation-Token": chat["token"]}, timeout=60)
        assert r.status_code in (200, 201), r.text
        agent.locator("#inbox li").first.wait_for(timeout=15000)

        # ...then the public post arrives, signed, and goes straight to the top.
        body = json.dumps(POST).encode()
        r = post(product, body, sign_body(PUBLIC_CHANNEL_SECRET, body))
        assert r.status_code == 201, r.text
        assert r.json()["agent"] == "Pia Public"
        top = agent.locator("#inbox li").first
        top.locator(".badge-public").wait_for(timeout=15000)
        assert "@anna_travels" in top.inner_text()
        assert "10,000 followers" in top.locator(".conv-reason").inner_text()
        assert "delayed, children on board" in top.locator(".conv-reason").inner_text()
        assert agent.locator("#inbox li").count() >= 2

        top.click()
        agent.get_by_role("button", name="Accept").click()
        packet = agent.get_by_label("Handoff packet")
        packet.locator(".public-post", has_text="10,000 followers").wait_for(timeout=10000)
        agent.get_by_label("Reply").fill("So sorry, Anna. I've asked the gate team to update you now.")
        agent.get_by_label("Reply").press("Enter")
        agent.locator("#transcript .delivery-ok", has_text="Delivered to the public channel").wait_for(timeout=20000)

        deadline = time.monotonic() + 10
        mine: list[Any] = []
        while not mine and time.monotonic() < deadline:
            mine = [q for q in public_reply_sink.requests if q.json()["data"].get("post_id") == "e2e-post-1"]
            time.sleep(0.05)
        [req] = mine
        assert req.signature_ok and req.headers["x-firstline-event"] == "reply.created"
        data = req.json()["data"]
        assert (data["post_url"], data["in_reply_to"], data["agent"]) == (POST["url"], "@anna_travels", "Pia Public")
        assert data["text"] == "So sorry, Anna. I've asked the gate team to update you now."

        # The same post forwarded again is not a second conversation.
        again = post(product, body, sign_body(PUBLIC_CHANNEL_SECRET, body))
        assert again.status_code == 200 and again.json()["duplicate"] is True
    finally:
        agent.get_by_label("My status").select_option("offline")
        ctx.close()
    assert errors == []
