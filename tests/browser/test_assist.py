"""Agent assist in the browser (issue 14): a canned reply behind '/', a knowledge-base suggestion inserted,
edited and sent, and the outcome recorded."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.db import Database
from tests.browser.console import console_login
from tests.browser.test_inbox import customer_asks_for_person
from tests.e2e.conftest import Product
from tests.e2e.staff import all_offline, ensure_agent

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_canned_reply_and_kb_suggestion_are_inserted_and_recorded(page: Any, product: Product) -> None:
    all_offline(product)
    ensure_agent(product, "e2e-ada", "Ada Assist", team="Assist Team")
    console_login(page, product, "e2e-ada")
    cid, _ = customer_asks_for_person(
        product, "assist-test: a real person please, how do I reset my My Account password?")
    page.locator("#inbox li", has_text="assist-test").click()
    page.get_by_role("button", name="Accept").click()

    page.get_by_text("Canned replies", exact=True).click()
    page.get_by_label("Shortcut").fill("hello")
    page.get_by_label("Text", exact=True).fill("Hi {first_name}, {agent_first_name} here. Let me look.")
    page.get_by_role("button", name="Save reply").click()
    page.locator("#canned-list li", has_text="/hello").wait_for(timeout=10000)

    reply = page.get_by_label("Reply")
    reply.click()
    reply.press_sequentially("/hel", delay=30)
    page.get_by_role("option", name="/hello").wait_for(timeout=5000)
    reply.press("Enter")  # picks the reply, does not send it
    assert reply.input_value() == "Hi, Ada here. Let me look."  # a visitor: no first name, no braces
    reply.fill("")

    box = page.get_by_label("Suggested replies")
    box.get_by_role("link").first.wait_for(timeout=15000)
    assert box.get_by_role("link").first.get_attribute("href").startswith("/kb/")
    box.get_by_role("button").first.click()
    assert "More in:" in reply.input_value()
    reply.press("End")
    reply.press_sequentially(" Any luck?", delay=10)
    reply.press("Enter")
    page.locator("#transcript li[data-sender='agent']", has_text="Any luck?").wait_for(timeout=10000)

    from crm import AssistSuggestion

    db = Database(product.db_url())
    try:
        with db.session() as s:
            rows = list(s.scalars(select(AssistSuggestion).where(AssistSuggestion.conversation_id == cid)))
            used = [r for r in rows if r.outcome == "used"]
            assert len(used) == 1 and used[0].sent_text.endswith("Any luck?")
            assert all(r.outcome in ("used", "ignored") for r in rows)
    finally:
        db.dispose()
    page.get_by_label("My status").select_option("offline")
