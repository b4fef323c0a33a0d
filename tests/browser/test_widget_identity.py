"""The widget keeps the visitor across visits (issue 10), in a real browser against the real product."""

from __future__ import annotations

from typing import Any

import pytest

from core.db import Database
from crm import Conversation
from tests.browser.test_widget import open_widget, send
from tests.e2e.conftest import Product

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CONV_KEY = "firstline:conversation:visitor"
VISITOR_KEY = "firstline:visitor"


def chat_once(page: Any, url: str, text: str) -> str:
    open_widget(page, url)
    send(page, text)
    page.locator("li[data-sender='customer']", has_text=text).wait_for(timeout=20000)
    page.wait_for_function(f"localStorage.getItem('{CONV_KEY}') !== null", timeout=20000)
    page.locator("li[data-sender='bot']").last.wait_for(timeout=20000)
    return str(page.evaluate(f"JSON.parse(localStorage.getItem('{CONV_KEY}')).id"))


def customer_of(product: Product, cid: str) -> str:
    db = Database(product.db_url())
    with db.session() as s:
        conv = s.get(Conversation, cid)
        assert conv is not None
        customer_id = conv.customer_id
    db.dispose()
    return customer_id


def test_widget_returning_visitor_is_the_same_customer(page: Any, product: Product) -> None:
    url = f"{product.base}/demo"
    first = chat_once(page, url, "hello")
    token = page.evaluate(f"localStorage.getItem('{VISITOR_KEY}')")
    assert token
    page.evaluate(f"localStorage.removeItem('{CONV_KEY}')")  # that chat is over: the next visit starts anew
    page.reload()
    second = chat_once(page, url, "hello again")
    assert second != first
    assert customer_of(product, second) == customer_of(product, first)
    assert page.evaluate(f"localStorage.getItem('{VISITOR_KEY}')") == token


def test_widget_with_a_forged_visitor_token_starts_as_a_new_visitor(page: Any, product: Product) -> None:
    url = f"{product.base}/demo"
    page.goto(url)
    page.evaluate(f"localStorage.setItem('{VISITOR_KEY}', 'forged.token')")
    page.reload()
    cid = chat_once(page, url, "hello")
    fresh = page.evaluate(f"localStorage.getItem('{VISITOR_KEY}')")
    assert fresh and fresh != "forged.token"
    assert customer_of(product, cid)
