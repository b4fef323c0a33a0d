"""The widget on phones and keyboards (issue 14), and axe-core on the widget, console and admin."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.axe import summary, violations
from tests.browser.console import console_login
from tests.browser.test_widget import open_widget, send
from tests.e2e.conftest import Product
from tests.e2e.staff import ensure_agent

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SHADOW_FOCUS = """() => { const h = document.activeElement; if (!h || h.id !== 'firstline-widget') return null;
                         const a = h.shadowRoot.activeElement; return a ? a.className : null; }"""


def test_widget_keyboard_only_tab_enter_type_enter_then_escape(page: Any, product: Product) -> None:
    page.goto(f"{product.base}/demo")
    page.get_by_role("button", name="Chat with us", exact=True).wait_for()
    for _ in range(40):  # Tab through the page until the launcher has focus
        page.keyboard.press("Tab")
        if page.evaluate(SHADOW_FOCUS) == "fl-launcher":
            break
    else:
        pytest.fail("Tab never reached the chat launcher")
    page.keyboard.press("Enter")
    assert page.evaluate(SHADOW_FOCUS) == "fl-input"  # focus is in the message box, ready to type
    page.keyboard.type("hello")
    page.keyboard.press("Enter")
    page.locator("li[data-sender='bot']", has_text="How can I help").wait_for(timeout=20000)
    page.keyboard.press("Escape")
    assert page.get_by_role("dialog").count() == 0
    assert page.evaluate(SHADOW_FOCUS) == "fl-launcher"  # back where the customer started, not the page top


def test_widget_accessible_name_matches_its_label(page: Any, product: Product) -> None:
    page.goto(f"{product.base}/demo")
    page.get_by_role("button", name="Chat with us", exact=True).wait_for()
    assert page.get_by_role("button", name="Open chat").count() == 0
    page.get_by_role("button", name="Chat with us", exact=True).click()
    page.get_by_role("button", name="Close chat").click()
    assert page.evaluate(SHADOW_FOCUS) == "fl-launcher"


def test_widget_on_a_phone_is_full_screen_without_overflow(browser: Any, product: Product) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                              device_scale_factor=3)
    page = ctx.new_page()
    try:
        page.goto(f"{product.base}/demo")
        launcher = page.get_by_role("button", name="Chat with us", exact=True)
        launcher.wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
        box = launcher.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844
        launcher.tap()
        panel = page.get_by_role("dialog")
        panel.wait_for()
        p = panel.bounding_box()
        assert (round(p["x"]), round(p["y"]), round(p["width"]), round(p["height"])) == (0, 0, 390, 844)
        size = page.get_by_label("Your message").evaluate("e => getComputedStyle(e).fontSize")
        assert size == "16px"  # iOS zooms into anything smaller
        send(page, "hello")
        page.locator("li[data-sender='bot']", has_text="How can I help").wait_for(timeout=20000)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        ctx.close()


def test_axe_finds_nothing_serious_in_the_open_widget(page: Any, product: Product) -> None:
    open_widget(page, f"{product.base}/demo")
    page.locator(".fl-hours").wait_for(timeout=10000)
    found = violations(page)
    assert found == [], summary(found)


def test_axe_finds_nothing_serious_in_the_console(page: Any, product: Product) -> None:
    ensure_agent(product, "e2e-axel", "Axel Access")
    console_login(page, product, "e2e-axel", status="offline")
    found = violations(page)
    assert found == [], summary(found)


@pytest.mark.parametrize("path", ["/admin", "/admin/articles", "/admin/gaps", "/admin/try"])
def test_axe_finds_nothing_serious_in_the_admin(page: Any, product: Product, path: str) -> None:
    admin_login(page, product)
    page.goto(f"{product.base}{path}")
    found = violations(page)
    assert found == [], summary(found)


def admin_login(page: Any, product: Product) -> None:
    page.goto(f"{product.base}/login?next=/admin")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(product.credentials()["admin"])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin")
