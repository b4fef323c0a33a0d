"""Warm handoff in two real browser contexts: a frustrated customer, a named agent, and back to the bot."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_widget import open_widget, send
from tests.e2e.conftest import Product
from tests.e2e.staff import PASSWORD, all_offline, ensure_agent

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_frustrated_customer_gets_named_agent_then_bot_again(browser: Any, product: Product) -> None:
    all_offline(product)
    ensure_agent(product, "e2e-erin", "Erin Example")
    agent_ctx, customer_ctx = browser.new_context(), browser.new_context()
    agent, customer = agent_ctx.new_page(), customer_ctx.new_page()
    try:
        agent.goto(f"{product.base}/login?next=/console")
        agent.get_by_label("Username").fill("e2e-erin")
        agent.get_by_label("Password").fill(PASSWORD)
        agent.get_by_role("button", name="Log in").click()
        agent.wait_for_url("**/console")
        agent.get_by_label("My status").select_option("online")
        agent.wait_for_timeout(300)

        open_widget(customer, f"{product.base}/demo")
        send(customer, "my internet is down")
        # Sent at once, before the bot has answered the first: the widget must keep both in one conversation.
        send(customer, "zebra7 THIS IS THE THIRD TIME I'M ASKING, IT'S STILL DOWN AND YOU'RE USELESS!!")
        handoff = customer.locator("li[data-sender='system']", has_text="Erin Example")
        handoff.wait_for(timeout=20000)
        assert "will join you" in handoff.inner_text()
        # The header names the person and where the customer stands, kept live by the server.
        customer.locator(".fl-title", has_text="Erin Example will join you").wait_for(timeout=10000)
        assert customer.locator(".fl-subtitle").inner_text() == "You're next · joining in a moment"

        item = agent.locator("#inbox li", has_text="zebra7")
        item.wait_for(timeout=10000)  # pushed over the console WebSocket, no reload
        item.click()
        agent.get_by_role("button", name="Accept").click()
        packet = agent.get_by_label("Handoff packet")
        packet.get_by_text("Customer is upset").wait_for(timeout=10000)
        assert "my internet is down" in agent.locator("#transcript").inner_text()
        customer.get_by_text("Erin Example has joined the conversation.").wait_for(timeout=10000)
        customer.locator(".fl-subtitle", has_text="a person is with you").wait_for(timeout=10000)

        agent.get_by_label("Reply").fill("Hi, I'm Erin. I can see the outage on your line <b>now</b>.")
        agent.get_by_label("Reply").press("Enter")
        reply = customer.locator("li[data-sender='agent']")
        reply.wait_for(timeout=10000)
        assert reply.locator(".fl-name").inner_text() == "Erin Example"
        assert "<b>now</b>" in reply.locator(".fl-bubble").inner_text()  # shown as text, not markup

        agent.get_by_role("button", name="Hand back to bot").click()
        customer.get_by_text("You're back with our virtual assistant").wait_for(timeout=10000)
        send(customer, "how do I reset my My Account password?")
        customer.locator("li[data-sender='bot']", has_text="password").last.wait_for(timeout=20000)
    finally:
        agent.get_by_label("My status").select_option("offline")
        agent_ctx.close()
        customer_ctx.close()
