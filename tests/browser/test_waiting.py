"""Honest waiting in a real browser: hours before typing, the header and the messages agree, no silence."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.test_widget import open_widget, send
from tests.e2e.conftest import Product
from tests.e2e.staff import all_offline

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_case_customer_gets_acknowledged_and_the_header_matches_the_promise(page: Any, product: Product) -> None:
    all_offline(product)
    open_widget(page, f"{product.base}/demo")
    hours = page.locator(".fl-hours")
    hours.wait_for(timeout=10000)  # before the customer types anything
    assert "(UK time)" in hours.inner_text() and re.search(r"Mon.Fri \d\d:\d\d.\d\d:\d\d", hours.inner_text())
    assert "a person will reply by" in hours.inner_text()

    send(page, "waiting-test: I want to talk to a real person")
    case_msg = page.locator("li[data-sender='system']", has_text="opened case")
    case_msg.wait_for(timeout=20000)
    number = re.search(r"CS-\d+", case_msg.inner_text()).group(0)  # type: ignore[union-attr]
    page.locator(".fl-title", has_text=f"Case {number} is open").wait_for(timeout=10000)
    promised = re.search(r"\d\d:\d\d", case_msg.inner_text()).group(0)  # type: ignore[union-attr]
    subtitle = page.locator(".fl-subtitle").inner_text()
    assert "Connecting you to a person" not in page.locator(".fl-title").inner_text()
    assert f"will reply by {promised}" in subtitle, (subtitle, case_msg.inner_text())

    send(page, "this is useless, third time I'm asking")
    ack = page.locator("li[data-sender='system']", has_text=f"Added to case {number}")
    ack.wait_for(timeout=20000)
    assert f"will reply by {promised}" in ack.inner_text()
    # A fast typist: the next message gets a quiet receipt, not another paragraph.
    send(page, "hello??")
    page.locator("li[data-sender='customer']", has_text="hello??").locator(".fl-receipt").wait_for(timeout=20000)
    assert ack.count() == 1

    # A level-one question is still answered while waiting, and the conversation stays with the case.
    send(page, "how do I reset my My Account password?")
    page.locator("li[data-sender='bot']", has_text="While you wait").wait_for(timeout=20000)
    page.locator(".fl-title", has_text=f"Case {number} is open").wait_for(timeout=5000)
