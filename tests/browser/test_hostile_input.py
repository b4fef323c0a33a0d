"""XSS payloads through every place customer or staff text is shown, in a real browser: the widget, the
console (customer text, agent replies and notes), the admin article editor, the gaps report and the
customers page. Nothing may execute: no dialog opens and no payload sets its global flag."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.test_widget import open_widget, send
from tests.e2e.conftest import Product
from tests.e2e.staff import PASSWORD, all_offline, ensure_agent

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PAYLOADS = [
    "<script>window.__xss=1;alert('script')</script>",
    "<img src=x onerror=\"window.__xss=2;alert('img')\">",
    "<a href=\"javascript:window.__xss=3;alert('link')\" id=\"xss-link\">click me</a>",
    "<svg onload=\"window.__xss=4;alert('svg')\"><script>window.__xss=5</script></svg>",
    "\"><iframe srcdoc=\"<script>parent.__xss=6</script>\"></iframe>",
]


class Watch:
    """Pages whose dialogs and global flag are recorded."""

    def __init__(self) -> None:
        self.dialogs: list[str] = []
        self.pages: list[Any] = []

    def page(self, browser: Any) -> Any:
        pg = browser.new_context().new_page()

        def on_dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        pg.on("dialog", on_dialog)
        self.pages.append(pg)
        return pg

    def assert_nothing_ran(self) -> None:
        for pg in self.pages:
            pg.wait_for_timeout(300)  # time for an onerror or onload to fire, had one been made
            assert pg.evaluate("window.__xss") is None, pg.url
            for link in pg.locator("a[href^='javascript:' i]").all():
                raise AssertionError(f"a javascript: link was rendered on {pg.url}: {link.get_attribute('href')}")
        assert self.dialogs == []

    def close(self) -> None:
        for pg in self.pages:
            pg.context.close()


def login(page: Any, product: Product, username: str, password: str, landing: str) -> None:
    page.goto(f"{product.base}/login?next={landing}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{landing}")


def test_xss_payloads_never_execute_anywhere(browser: Any, product: Product) -> None:
    all_offline(product)
    ensure_agent(product, "e2e-xavier", "Xavier Ortiz")
    watch = Watch()
    customer, agent, admin = watch.page(browser), watch.page(browser), watch.page(browser)
    try:
        login(agent, product, "e2e-xavier", PASSWORD, "/console")
        agent.get_by_label("My status").select_option("online")
        agent.wait_for_timeout(300)

        open_widget(customer, f"{product.base}/demo")
        for p in PAYLOADS:
            send(customer, p)
            customer.locator("li[data-sender='customer']", has_text=p).wait_for(timeout=20000)
        send(customer, "xss9 I want to talk to a real person")
        customer.locator("li[data-sender='system']", has_text="Xavier Ortiz").wait_for(timeout=20000)

        item = agent.locator("#inbox li", has_text="xss9")
        item.wait_for(timeout=10000)
        item.click()
        agent.get_by_role("button", name="Accept").click()
        transcript = agent.locator("#transcript")
        transcript.get_by_text(PAYLOADS[1]).first.wait_for(timeout=10000)  # the customer's text, as text
        for p in PAYLOADS[:2]:
            agent.get_by_label("Reply").fill(p)
            agent.get_by_role("button", name="Internal note").click()
            transcript.get_by_text(p).last.wait_for(timeout=10000)
        agent.get_by_label("Reply").fill(PAYLOADS[3])
        agent.get_by_label("Reply").press("Enter")
        customer.locator("li[data-sender='agent']", has_text="window.__xss=4").wait_for(timeout=10000)
        assert transcript.locator("img, svg, iframe, script:not([src])").count() == 0

        login(admin, product, "admin", product.credentials()["admin"], "/admin")
        admin.goto(f"{product.base}/admin/gaps")
        admin.get_by_text(re.compile("__xss")).first.wait_for(timeout=20000)  # questions the bot failed on
        admin.goto(f"{product.base}/admin/articles/new")
        admin.get_by_label("Title").fill(PAYLOADS[0])
        admin.get_by_label("Body (Markdown)").fill("## Hi\n\n" + "\n\n".join(PAYLOADS) + "\n\n[x](javascript:alert(1))")
        admin.locator("#preview").get_by_text("click me").first.wait_for(timeout=10000)
        assert admin.locator("#preview").locator("img, svg, iframe, script").count() == 0

        r = customer.request.post(f"{product.base}/api/conversations",
                                  data={"customer": {"name": PAYLOADS[1]}})
        assert r.status == 201
        admin.goto(f"{product.base}/admin/customers?q=__xss")
        admin.locator("#customers").get_by_text(PAYLOADS[1]).wait_for(timeout=10000)

        watch.assert_nothing_ran()
    finally:
        watch.close()


@pytest.mark.parametrize("html", [PAYLOADS[1], PAYLOADS[3], "<button onclick=\"alert('x')\" id=b>b</button>"])
def test_the_watch_sees_a_payload_that_runs(browser: Any, html: str) -> None:
    watch = Watch()
    pg = watch.page(browser)
    try:
        pg.set_content(html)
        if pg.locator("#b").count():
            pg.locator("#b").click()
        with pytest.raises(AssertionError):
            watch.assert_nothing_ran()
    finally:
        watch.close()
