"""The admin area in a real browser: write an article with a live preview, publish it, ask the bot, see history."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Product

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_admin_writes_publishes_and_tries_an_article_then_diffs_an_edit(page: Any, product: Product) -> None:
    page.goto(f"{product.base}/admin/articles")
    page.wait_for_url("**/login**")  # staff pages need a login
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(product.credentials()["admin"])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/articles")

    page.goto(f"{product.base}/admin/articles/new")
    page.get_by_label("Id (slug)").fill("e2e-pigeon-post")
    page.get_by_label("Title").fill("Getting your bill by pigeon post")
    page.get_by_label("Status").select_option("published")
    body = page.get_by_label("Body (Markdown)")
    # A script inserted through innerHTML never runs, so it proves nothing; an image's onerror does run.
    payload = '<img src=x onerror="window.pwned=1">'
    body.fill(f"## Pigeon post\n\nWe send paper bills by **pigeon post** on request.\n\n{payload}")
    preview = page.locator("#preview")
    preview.locator("strong", has_text="pigeon post").wait_for(timeout=10000)  # live Markdown preview
    preview.get_by_text(payload).first.wait_for(timeout=10000)  # shown as text, inert
    assert preview.locator("img").count() == 0 and preview.locator("[onerror]").count() == 0
    page.wait_for_timeout(500)  # time for a broken image's onerror to fire, had one been made
    assert page.evaluate("window.pwned === undefined")
    page.get_by_role("button", name="Save").click()
    error = page.get_by_role("alert")  # raw HTML is refused, naming the article and field; nothing is stored
    error.wait_for(timeout=10000)
    assert "e2e-pigeon-post" in error.inner_text() and "body" in error.inner_text()
    assert "raw HTML" in error.inner_text()
    assert page.evaluate("window.pwned === undefined")

    page.get_by_label("Body (Markdown)").fill("## Pigeon post\n\nWe send paper bills by **pigeon post** on request.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/admin/articles/e2e-pigeon-post**")

    page.goto(f"{product.base}/admin/try?q=can+I+get+my+bill+by+pigeon+post")
    answer = page.locator("#bot-answer")
    assert "The knowledge base would answer" in answer.inner_text()
    assert page.locator("#route-action").inner_text()  # which action the dialogue runs after the parse
    assert "Getting your bill by pigeon post" in answer.inner_text()
    for mode in ("hybrid", "dense", "bm25"):  # both retrievers' scores beside the fused ranking
        assert "Getting your bill by pigeon post" in page.locator(f"#mode-{mode}").inner_text()

    page.goto(f"{product.base}/admin/articles/e2e-pigeon-post")
    page.get_by_label("Body (Markdown)").fill("## Pigeon post\n\nWe send paper bills by **carrier pigeon** on request.")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("status").filter(has_text="Saved").wait_for(timeout=10000)
    page.get_by_role("link", name="diff with v1").click()
    diff = page.locator("body").inner_text()
    assert "carrier pigeon" in diff and "pigeon post" in diff
