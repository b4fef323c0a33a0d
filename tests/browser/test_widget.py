"""The widget in a real browser against the real product."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Product

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def open_widget(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Chat with us").click()


def send(page: Any, text: str) -> None:
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")


def test_widget_chat_shows_bot_reply_and_survives_reload(page: Any, product: Product) -> None:
    open_widget(page, f"{product.base}/demo")
    send(page, "hello")
    bot = page.locator("li[data-sender='bot']").last
    bot.wait_for(timeout=20000)
    page.locator("li[data-sender='bot']", has_text="How can I help").wait_for(timeout=20000)
    assert page.locator("li[data-sender='customer']").last.inner_text() == "hello"

    page.reload()
    page.get_by_role("button", name="Chat with us").click()
    page.locator("li[data-sender='customer']", has_text="hello").wait_for(timeout=10000)
    page.locator("li[data-sender='bot']", has_text="How can I help").wait_for(timeout=10000)


def test_widget_renders_html_in_messages_as_text(page: Any, product: Product) -> None:
    open_widget(page, f"{product.base}/demo")
    evil = "<img src=x onerror=\"window.pwned=1\"><b>bold</b>"
    send(page, evil)
    page.locator("li[data-sender='customer']", has_text="<b>bold</b>").wait_for(timeout=20000)
    assert page.evaluate("window.pwned") is None
    host = page.locator("#firstline-widget")
    assert host.locator("b").count() == 0 and host.locator("img").count() == 0


def test_widget_refuses_an_empty_message_with_a_clear_error(page: Any, product: Product) -> None:
    open_widget(page, f"{product.base}/demo")
    send(page, "   ")
    assert page.get_by_role("alert").inner_text() == "Please type a message first."
