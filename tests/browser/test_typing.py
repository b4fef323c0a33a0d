"""Typing both ways, in two real browser contexts (issue 14: the agent's typing endpoint answered 500)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.console import console_login
from tests.browser.test_widget import open_widget, send
from tests.e2e.conftest import Product
from tests.e2e.staff import all_offline, ensure_agent

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_customer_sees_agent_typing_and_agent_sees_customer_typing(browser: Any, product: Product) -> None:
    all_offline(product)
    ensure_agent(product, "e2e-tara", "Tara Typist")
    agent_ctx, customer_ctx = browser.new_context(), browser.new_context()
    agent, customer = agent_ctx.new_page(), customer_ctx.new_page()
    errors: list[str] = []
    for p in (agent, customer):
        p.on("pageerror", lambda e: errors.append(str(e)))
    try:
        console_login(agent, product, "e2e-tara")
        open_widget(customer, f"{product.base}/demo")
        send(customer, "typing-test: I want to talk to a real person please")
        customer.locator("li[data-sender='system']", has_text="Tara Typist").wait_for(timeout=20000)
        agent.locator("#inbox li", has_text="typing-test").click()
        agent.get_by_role("button", name="Accept").click()
        customer.locator(".fl-subtitle", has_text="a person is with you").wait_for(timeout=10000)

        failed: list[int] = []
        agent.on("response", lambda r: failed.append(r.status) if "/typing" in r.url and r.status >= 400 else None)
        agent.get_by_label("Reply").press_sequentially("Let me check that", delay=20)
        customer.get_by_text("Tara Typist is typing…").wait_for(timeout=10000)
        assert failed == []

        customer.get_by_label("Your message").press_sequentially("it is still", delay=20)
        agent.locator("#typing", has_text="is typing…").wait_for(timeout=10000)
        assert agent.locator("#typing").inner_text().startswith("Visitor ")
    finally:
        agent.get_by_label("My status").select_option("offline")
        agent_ctx.close()
        customer_ctx.close()
    assert errors == []
