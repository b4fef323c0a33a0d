"""The packet card for humans (issue 14): plain words, local times, a mood chart with its scale,
timestamps on every message, and what the customer wrote while waiting."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.console import console_login
from tests.browser.test_widget import open_widget, send
from tests.e2e.conftest import Product
from tests.e2e.staff import all_offline, ensure_agent

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_packet_reads_in_plain_words_with_chart_times_and_what_was_written_while_waiting(
        browser: Any, product: Product) -> None:
    all_offline(product)
    ensure_agent(product, "e2e-pam", "Pam Packet")
    customer_ctx, agent_ctx = browser.new_context(), browser.new_context()
    customer, agent = customer_ctx.new_page(), agent_ctx.new_page()
    try:
        open_widget(customer, f"{product.base}/demo?as=cust-1001")
        send(customer, "packet-test: my broadband keeps dropping every evening")
        customer.locator("li[data-sender='bot']").first.wait_for(timeout=20000)
        send(customer, "I want to talk to a real person")
        customer.locator("li[data-sender='system']", has_text="opened case").wait_for(timeout=20000)
        send(customer, "still waiting, it dropped again at 8pm")
        customer.locator("li[data-sender='system']", has_text="Added to case").wait_for(timeout=20000)

        console_login(agent, product, "e2e-pam")
        agent.get_by_role("tab", name="Unassigned").click()
        agent.locator("#inbox li", has_text="still waiting").click()
        agent.get_by_role("button", name="Accept").click()
        packet = agent.get_by_label("Handoff packet")
        packet.get_by_text("Written while waiting").wait_for(timeout=10000)
        text = packet.inner_text()
        assert "still waiting, it dropped again at 8pm" in text
        assert "Ana Silva" in text and "Residential customer" in text
        assert "signed in on the company's site" in text  # how we know who this is (issue 10)
        assert "Vip" not in text and "false" not in text  # no raw field values
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text), text  # no ISO timestamps
        assert "nlu_fallback" not in text and "out_of_scope" not in text
        assert re.search(r"we promised to reply by \w{3}, [\w ]+, \d\d:\d\d", text), text
        assert not re.search(r"\d{4}-\d\d-\d\d", text), text  # earlier chats by readable date too
        chart = packet.locator("svg.mood")
        assert "-1 (upset) to +1 (happy)" in chart.locator("title").text_content()
        assert "+1 happy" in chart.text_content() and "−1 upset" in chart.text_content()
        messages = agent.locator("#transcript li")
        assert messages.count() >= 5
        for i in range(messages.count()):
            assert re.fullmatch(r"(\w{3}, [\w ]+, )?\d\d:\d\d", messages.nth(i).locator("time").inner_text())
    finally:
        agent.get_by_label("My status").select_option("offline")
        customer_ctx.close()
        agent_ctx.close()
