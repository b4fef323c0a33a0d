"""Promises and the customer page in a real browser against the real product (real scheduler, real database).

The follow-up is driven by the product's own APScheduler: the agent promises a time a few seconds
ahead (the console's time field takes seconds), so the due job fires for real without a test hook.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.browser.test_widget import open_widget, send
from tests.e2e.conftest import Product
from tests.e2e.staff import PASSWORD, all_offline, ensure_agent

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def log_in(page: Any, product: Product, username: str, password: str = PASSWORD, to: str = "/console") -> None:
    page.goto(f"{product.base}/login?next={to}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{to}")


def wait_for_text(page: Any, text: str, timeout_s: float = 30) -> None:
    """Reload a server-rendered page until it shows text (the follow-up job runs in the product)."""
    deadline = datetime.now(UTC) + timedelta(seconds=timeout_s)
    while text not in page.locator("main").inner_text():
        assert datetime.now(UTC) < deadline, f"{text!r} never appeared"
        page.wait_for_timeout(500)
        page.reload()


def test_agent_promise_in_console_appears_on_customer_page_and_is_followed_up(browser: Any,
                                                                              product: Product) -> None:
    all_offline(product)
    ensure_agent(product, "e2e-fay", "Fay Promise")
    agent_ctx, customer_ctx = browser.new_context(), browser.new_context()
    agent, customer = agent_ctx.new_page(), customer_ctx.new_page()
    try:
        log_in(agent, product, "e2e-fay")
        agent.get_by_label("My status").select_option("online")
        agent.wait_for_timeout(300)

        open_widget(customer, f"{product.base}/demo")
        send(customer, "kiwi42 can I talk to a real person please")
        customer.locator("li[data-sender='system']", has_text="Fay Promise").wait_for(timeout=20000)

        agent.locator("#inbox li", has_text="kiwi42").click()
        agent.get_by_role("button", name="Accept").click()
        agent.get_by_label("Promise: what").wait_for(timeout=10000)
        due = (datetime.now(UTC) + timedelta(seconds=20)).replace(microsecond=0)  # room for the checks below
        agent.get_by_label("Promise: what").fill("I'll check the line test <b>results</b> and tell you")
        agent.get_by_label("Promise: by when").fill(due.strftime("%Y-%m-%dT%H:%M:%S"))
        agent.get_by_role("button", name="Promise").click()
        agent.locator("#promise-status", has_text="Promised on case CS-").wait_for(timeout=10000)
        number = agent.locator("#promise-status").inner_text().split("case ")[1].rstrip(".")
        # The customer is told at once, in their words.
        customer.locator("li[data-sender='system']", has_text="Fay Promise will get back to you by").wait_for(
            timeout=10000)

        agent.get_by_role("link", name="Customer page →").click()
        agent.wait_for_url("**/console/customers/*")
        case = agent.locator(f"#case-{number}")
        assert "“I'll check the line test <b>results</b> and tell you”" in case.inner_text()  # inert, as text
        assert "owner Fay Promise" in case.inner_text()
        assert agent.locator("b", has_text="results").count() == 0
        assert "kiwi42 can I talk to a real person please" in agent.locator(".timeline").inner_text()

        # Nobody updates the customer: at the due time the product's scheduler escalates to the team lead
        # and leaves an honest message for the customer's next visit.
        wait_for_text(agent, "Grace Whitfield", timeout_s=60)
        table = agent.get_by_label(f"Follow-up attempts for {number}")
        escalation = table.locator("tr", has_text="escalation").inner_text()
        assert "console" in escalation and "Grace Whitfield" in escalation and "delivered" in escalation
        assert "pending" in table.locator("tr", has_text="widget").inner_text()

        # The team lead sees the alert in her console, linked to the customer page.
        lead_ctx = browser.new_context()
        lead = lead_ctx.new_page()
        log_in(lead, product, "grace", product.credentials()["grace"])
        alert = lead.get_by_label("Follow-up alerts").locator("li", has_text=f"Case {number} is overdue")
        alert.wait_for(timeout=10000)
        assert "Fay Promise promised" in alert.inner_text()
        assert alert.get_by_role("link", name="Customer page").get_attribute("href").endswith(f"#case-{number}")
        lead_ctx.close()

        customer.reload()
        customer.get_by_role("button", name="Chat with us").click()
        notice = customer.locator(".fl-notice")
        notice.wait_for(timeout=10000)
        assert notice.inner_text().startswith(f"About case {number}: we promised Fay would get back to you by ")
        assert "Grace Whitfield, who leads the team, is looking at your case now" in notice.inner_text()
        agent.reload()
        shown = agent.get_by_label(f"Follow-up attempts for {number}").locator("tr", has_text="widget")
        assert "shown" in shown.inner_text()
    finally:
        agent_ctx.close()
        customer_ctx.close()
        all_offline(product)


def test_customer_page_timeline_holds_both_conversations_of_a_returning_customer(browser: Any,
                                                                                 product: Product) -> None:
    visits = []
    for words in ("plum17 how do I reset my My Account password?", "plum18 what speed does my plan have?"):
        ctx = browser.new_context()  # a new visit: nothing kept in the browser, the site signs the customer in
        page = ctx.new_page()
        open_widget(page, f"{product.base}/demo?as=cust-1004")
        send(page, words)
        # Stored: the server's copy replaces the pending bubble (the greeting is a bot bubble from the start).
        page.locator("li[data-sender='customer']:not(.fl-pending)", has_text=words).wait_for(timeout=20000)
        visits.append(words)
        ctx.close()

    ctx = browser.new_context()
    admin = ctx.new_page()
    try:
        log_in(admin, product, "admin", product.credentials()["admin"], to="/admin")
        admin.goto(f"{product.base}/console/customers?q=plum17")
        admin.get_by_role("link", name="Sam Patel").click()
        admin.wait_for_url("**/console/customers/*")
        timeline = admin.get_by_label("Timeline")
        conversations = timeline.locator("li[data-kind='conversation']")
        texts = [conversations.nth(i).inner_text() for i in range(conversations.count())]
        for words in visits:
            assert sum(words in t for t in texts) == 1, words
        assert texts.index(next(t for t in texts if visits[0] in t)) < texts.index(
            next(t for t in texts if visits[1] in t))
    finally:
        ctx.close()
