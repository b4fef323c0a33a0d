"""The real widget in a browser while Redis is gone (production mode): an agent's reply sent through
another worker reaches the customer by polling even when the customer writes before the next poll,
and live events resume by themselves once Redis is back.

Uses the small production product of tests/production_redis.py (its own redis-server on a free port,
its own PostgreSQL database, one worker, one Rasa server) and worker B.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.browser.test_widget import open_widget, send
from tests.e2e.conftest import Product
from tests.e2e.staff import all_offline, ensure_agent
from tests.e2e.workers import second_worker, staff
from tests.production_redis import live_events
from tests.servers import RedisServer

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CONVERSATION = """() => { for (const k of Object.keys(localStorage))
  if (k.startsWith("firstline:conversation:")) return JSON.parse(localStorage.getItem(k)).id; }"""


def wait_live(bases: list[str], want: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while any(live_events(b) != want for b in bases):
        assert time.monotonic() < deadline, want
        time.sleep(0.1)


def test_widget_shows_the_reply_sent_while_redis_is_gone_though_the_customer_wrote_after_it(
        page: Any, small_prod: Product, redis_server: RedisServer) -> None:
    prod = small_prod
    if redis_server.proc is None:  # an earlier test of this shared product failed while it was killed
        redis_server.start()
    with second_worker(prod) as worker_b:
        all_offline(prod)
        ensure_agent(prod, "redis-bea", "Bea Browser")
        agent = staff(worker_b, "redis-bea")
        try:
            open_widget(page, f"{prod.base}/demo")
            send(page, "I want to talk to a real person")
            page.locator("li[data-sender='system']", has_text="Bea Browser").first.wait_for(timeout=30000)
            cid = page.evaluate(CONVERSATION)
            assert agent.post(f"/api/console/conversations/{cid}/accept").json() == {"accepted": True}
            page.get_by_text("Bea Browser has joined the conversation.").wait_for(timeout=10000)  # live

            redis_server.kill()
            wait_live([prod.base, worker_b], "degraded", 10)
            page.wait_for_timeout(500)  # the widget has been told live.degraded and polls every 3 s

            during = "While Redis is away: checking your line now."
            r = agent.post(f"/api/console/conversations/{cid}/reply", json={"text": during})
            assert r.status_code == 201, r.text
            send(page, "thanks, I'll wait")  # before the next poll: this message's id is above the reply's
            page.locator("li[data-sender='customer']", has_text="thanks, I'll wait").wait_for(timeout=10000)
            page.locator("li[data-sender='agent']", has_text=during).wait_for(timeout=10000)

            redis_server.start()
            wait_live([prod.base, worker_b], "redis", 15)
            page.wait_for_timeout(500)  # told live.restored
            after = "Back to normal: the cabinet is fixed."
            assert agent.post(f"/api/console/conversations/{cid}/reply", json={"text": after}).status_code == 201
            page.locator("li[data-sender='agent']", has_text=after).wait_for(timeout=10000)

            shown = page.locator("li[data-id]").evaluate_all(
                "els => els.map(e => [Number(e.getAttribute('data-id')), e.getAttribute('data-sender'),"
                " e.querySelector('.fl-bubble').textContent])")
            assert [i for i, _, _ in shown] == sorted(i for i, _, _ in shown)  # in order, each once
            assert len({i for i, _, _ in shown}) == len(shown)
            people = [(who, text) for _, who, text in shown if who in ("customer", "agent")]
            assert people == [("customer", "I want to talk to a real person"), ("agent", during),
                              ("customer", "thanks, I'll wait"), ("agent", after)]
            stored = httpx.get(f"{worker_b}/api/console/conversations/{cid}", headers=agent.headers,
                               timeout=30).json()["messages"]
            assert [(m["sender"], m["text"]) for m in stored if m["sender"] in ("customer", "agent")] == people
        finally:
            agent.close()
