"""The inbox agents work from (issue 14): views, marks, alerts, hand back, transfer picker, search with ratings."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.console import console_login
from tests.e2e.conftest import Product
from tests.e2e.staff import agent_client, all_offline, ensure_agent

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

# Count sounds and desktop notifications without speakers or a desktop: the page's own APIs, observed.
ALERT_SPY = """
window.__alerts = { sounds: 0, notes: [] };
const RealCtx = window.AudioContext;
window.AudioContext = function () { const c = new RealCtx(); const mk = c.createOscillator.bind(c);
  c.createOscillator = () => { const o = mk(); const st = o.start.bind(o);
    o.start = (...a) => { window.__alerts.sounds++; return st(...a); }; return o; };
  return c; };
window.Notification = function (title, opts) { window.__alerts.notes.push(title + ': ' + (opts && opts.body)); };
window.Notification.permission = 'granted';
window.Notification.requestPermission = () => Promise.resolve('granted');
"""


def customer_asks_for_person(product: Product, text: str) -> tuple[str, dict[str, str]]:
    with httpx.Client(base_url=product.base, timeout=60) as c:
        r = c.post("/api/conversations", json={})
        cid, headers = r.json()["conversation_id"], {"X-Conversation-Token": r.json()["token"]}
        r = c.post(f"/api/conversations/{cid}/messages", json={"text": text}, headers=headers)
        assert r.status_code == 201, r.text
    return cid, headers


def test_routed_chat_is_marked_announced_and_first_in_mine(browser: Any, product: Product) -> None:
    all_offline(product)
    ensure_agent(product, "e2e-ivy", "Ivy Inbox", team="Inbox Team")
    customer_asks_for_person(product, "inbox-case-1: I want to speak to a real person")  # nobody online: a case
    ctx = browser.new_context()
    ctx.add_init_script(ALERT_SPY)
    page = ctx.new_page()
    try:
        console_login(page, product, "e2e-ivy")
        page.get_by_label("Play a sound").check()
        page.get_by_label("Desktop notification").check()
        page.get_by_role("tab", name="Unassigned").click()
        case_item = page.locator("#inbox li", has_text="inbox-case-1")
        case_item.wait_for(timeout=10000)
        assert "Visitor " in case_item.inner_text() and "asked for a person" in case_item.inner_text()
        assert "CS-" in case_item.inner_text() and "waiting" in case_item.inner_text()

        page.get_by_role("tab", name="Mine").click()
        customer_asks_for_person(product, "inbox-routed: I want to speak to a real person")  # Ivy is online
        routed = page.locator("#inbox li.routed", has_text="inbox-routed")
        routed.wait_for(timeout=15000)  # pushed live, no reload
        assert "For you" in routed.inner_text()
        page.get_by_role("status").filter(has_text="New chat for you").wait_for(timeout=5000)
        alerts = page.evaluate("window.__alerts")
        assert alerts["sounds"] >= 2  # one when switched on (a test beep), one for the chat
        assert any(n.startswith("New chat for you: Visitor ") for n in alerts["notes"]), alerts

        page.reload()  # the switches are remembered for this agent
        assert page.get_by_label("Play a sound").is_checked() and page.get_by_label("Desktop notification").is_checked()
        assert page.get_by_role("tab", name="Mine").get_attribute("aria-selected") == "true"
    finally:
        page.get_by_label("My status").select_option("offline")
        ctx.close()


def test_hand_back_leaves_a_read_only_view_and_transfer_offers_who_can_take_it(page: Any, product: Product) -> None:
    all_offline(product)
    ensure_agent(product, "e2e-hal", "Hal Handback", team="Handback Team")
    ensure_agent(product, "e2e-joy", "Joy Colleague", team="Handback Team")
    joy = agent_client(product, "e2e-joy", status="away")
    console_login(page, product, "e2e-hal")
    customer_asks_for_person(product, "handback-one: I want to speak to a real person")
    page.locator("#inbox li", has_text="handback-one").click()
    page.get_by_role("button", name="Accept").click()
    picker = page.get_by_label("Transfer to")
    page.locator("#transfer-target option", has_text="Nobody else can take it now").wait_for(
        state="attached", timeout=10000)  # Joy is away

    page.get_by_role("button", name="Hand back to bot").click()
    page.get_by_text("Back with the bot · read-only").wait_for(timeout=10000)
    assert page.get_by_role("alert").inner_text() == ""  # no red "conversation not found"
    for name in ("Hand back to bot", "Resolve", "Accept"):
        assert not page.get_by_role("button", name=name).is_visible()
    assert not page.get_by_label("Reply").is_visible()

    assert joy.put("/api/console/me/status", json={"status": "online"}).status_code == 200
    customer_asks_for_person(product, "handback-two: I want to speak to a real person")
    page.locator("#inbox li", has_text="handback-two").click()
    page.get_by_role("button", name="Accept").click()
    page.locator("#transfer-target option", has_text="Joy Colleague").wait_for(state="attached", timeout=10000)
    picker.select_option(label=page.locator("#transfer-target option", has_text="Joy Colleague").inner_text())
    page.get_by_label("Transfer note").fill("billing question, over to you")
    page.get_by_role("button", name="Transfer").click()
    page.get_by_text("Waiting for Joy Colleague · read-only").wait_for(timeout=10000)
    joy.put("/api/console/me/status", json={"status": "offline"})
    joy.close()
    page.get_by_label("My status").select_option("offline")


def test_resolved_chat_is_found_by_search_and_opens_read_only_with_its_rating(page: Any, product: Product) -> None:
    all_offline(product)
    ensure_agent(product, "e2e-sam", "Sam Search", team="Search Team")
    sam = agent_client(product, "e2e-sam")
    cid, headers = customer_asks_for_person(product, "search-me: my router flashes purple, a real person please")
    assert sam.post(f"/api/console/conversations/{cid}/accept").status_code == 200
    assert sam.post(f"/api/console/conversations/{cid}/resolve").status_code == 200
    with httpx.Client(base_url=product.base, timeout=30) as c:
        assert c.post(f"/api/conversations/{cid}/rating", json={"rating": 4}, headers=headers).status_code == 200
    sam.put("/api/console/me/status", json={"status": "offline"})
    sam.close()

    console_login(page, product, "e2e-sam", status="offline")
    page.get_by_label("Customer, words or case number").fill("purple")
    page.get_by_label("Conversation status").select_option("resolved")
    page.get_by_role("button", name="Search", exact=True).click()
    hit = page.locator("#results li", has_text="rated 4/5")
    hit.wait_for(timeout=10000)
    hit.click()
    page.get_by_text("Resolved · read-only").wait_for(timeout=10000)
    assert page.locator("#chat-rating").inner_text() == "Rated 4/5"
    assert "router flashes purple" in page.locator("#transcript").inner_text()
    assert not page.get_by_label("Reply").is_visible()
