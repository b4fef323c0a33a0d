"""Surge in a real browser: the banner appears live in the console; the admin's notice reaches a customer first."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from core.db import Database
from crm import Message, Sender
from tests.browser.test_widget import open_widget, send
from tests.e2e.conftest import Product
from tests.e2e.staff import PASSWORD, ensure_agent

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

NOTICE = "We know about the outage in Leeds; engineers are on it; we'll update you by 6pm."


def login(page: Any, product: Product, username: str, password: str, next_url: str) -> None:
    page.goto(f"{product.base}/login?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{next_url}")


def test_admin_notice_is_said_to_a_new_customer_before_the_bot_answers(browser: Any, product: Product) -> None:
    admin_ctx, customer_ctx = browser.new_context(), browser.new_context()
    admin, customer = admin_ctx.new_page(), customer_ctx.new_page()
    try:
        login(admin, product, "admin", product.credentials()["admin"], "/admin/surge")
        admin.get_by_label("New notice").fill(NOTICE)
        admin.get_by_role("button", name="Save the notice").click()
        admin.locator("#current-notice", has_text="outage in Leeds").wait_for(timeout=10000)

        open_widget(customer, f"{product.base}/demo")
        send(customer, "hello")
        customer.locator("li[data-sender='bot']", has_text="How can I help").wait_for(timeout=20000)
        said = customer.locator("li[data-sender]").all_inner_texts()
        asked = next(i for i, t in enumerate(said) if t.strip().endswith("hello"))
        # Right after the customer's first message, before the bot's own answer, unasked.
        assert NOTICE in said[asked + 1] and "How can I help" in said[asked + 2], said
    finally:
        admin.goto(f"{product.base}/admin/surge")
        if admin.get_by_role("button", name="Clear the notice").count():
            admin.get_by_role("button", name="Clear the notice").click()
            admin.locator("#current-notice", has_text="No notice").wait_for(timeout=10000)
        admin_ctx.close()
        customer_ctx.close()


def test_a_burst_about_one_topic_shows_a_live_surge_banner_in_the_console(browser: Any, product: Product) -> None:
    ensure_agent(product, "e2e-sam", "Sam Surge")
    ctx = browser.new_context()
    agent = ctx.new_page()
    try:
        login(agent, product, "e2e-sam", PASSWORD, "/console")
        ids = []
        with httpx.Client(base_url=product.base, timeout=60) as c:
            for _ in range(12):  # the default minimum is 10 conversations in 10 minutes
                conv = c.post("/api/conversations", json={}).json()
                r = c.post(f"/api/conversations/{conv['conversation_id']}/messages",
                           json={"text": "my tv box says no signal on every channel"},
                           headers={"X-Conversation-Token": conv["token"]})
                assert r.status_code in (200, 201), r.text
                ids.append(conv["conversation_id"])
        db = Database(product.db_url())
        with db.session() as s:
            intents = set(s.scalars(select(Message.intent).where(Message.conversation_id.in_(ids),
                                                                 Message.sender == Sender.CUSTOMER)))
        db.dispose()
        assert len(intents) == 1, intents
        [intent] = intents
        banner = agent.locator("#surge-banner")
        banner.locator(".surge-summary", has_text=f"{intent}: ").wait_for(timeout=15000)  # pushed, no reload
        assert "my tv box says no signal" in banner.inner_text()
    finally:
        ctx.close()
