"""The experience dashboard in Debian chromium on the real product: charts with the seeded numbers, CSV, roles, axe."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.db import Database
from tests.e2e.conftest import Product
from tests.insights.dashboard_data import XSS, seed

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"  # axe-core 4.14.1 from the npm registry
RANGE = "start=2026-03-01&end=2026-03-02&granularity=day"


@pytest.fixture(scope="module")
def seeded(product: Product) -> Iterator[Product]:
    """The small known history, in March (before anything other tests write), with no agents touched.

    Written from this process, behind the running product's back: its rollups already hold March, so
    the writes mark their hours as the product's own writes do (else the page would show the rollups)."""
    from insights.rollup_marks import install as mark_rollup_changes

    mark_rollup_changes()
    db = Database(product.db_url())
    with db.session() as s:
        seed(s, staff=False)
    db.dispose()
    yield product


def log_in(page: Any, product: Product, path: str, username: str) -> None:
    page.goto(f"{product.base}{path}")
    page.wait_for_url("**/login**")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(product.credentials()[username])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{path.split('?')[0]}")
    page.goto(f"{product.base}{path}")  # the login page brings staff back to the path, without its query


def table(page: Any, key: str) -> list[list[str]]:
    return page.locator(f"#chart-{key} table").evaluate(
        "t => [...t.rows].map(r => [...r.cells].map(c => c.innerText.trim()))")


def serious(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_dashboard_anonymous_visitors_are_sent_to_login(page: Any, product: Product) -> None:
    for path in ("/admin/dashboard", "/console/dashboard"):
        page.goto(f"{product.base}{path}")
        page.wait_for_url(f"**/login?next={path}")


def test_dashboard_admin_sees_charts_with_the_seeded_numbers_and_downloads_the_same(page: Any,
                                                                                    seeded: Product) -> None:
    log_in(page, seeded, f"/admin/dashboard?{RANGE}", "admin")
    for key in ("conversations", "containment", "handoffs", "time-to-person", "first-response", "csat", "helpful",
                "sentiment", "intents", "unanswered", "queue"):
        assert page.locator(f"#chart-{key} svg[role=img]").count() == 1, key
        assert page.locator(f"#chart-{key} svg .plot").count() >= 1, key  # drawn, not an empty frame
    assert table(page, "conversations") == [["period", "conversations"], ["2026-03-01", "3"], ["2026-03-02", "4"]]
    assert table(page, "containment")[1:] == [["2026-03-01", "2", "1", "50.0"], ["2026-03-02", "4", "1", "25.0"]]
    assert table(page, "handoffs") == [["period", "asked_for_human", "low_confidence", "negative_sentiment", "total"],
                                       ["2026-03-01", "1", "0", "0", "1"], ["2026-03-02", "1", "1", "1", "3"]]
    assert table(page, "time-to-person")[1:] == [["2026-03-01", "1", "120.0", "120.0"],
                                                 ["2026-03-02", "2", "180.0", "276.0"]]
    assert table(page, "csat")[1:] == [["2026-03-01", "2", "1", "50.0", "3.5"],
                                       ["2026-03-02", "1", "1", "100.0", "4.0"]]
    assert table(page, "unanswered")[1:] == [["Where is my refund?", "2"], [XSS, "1"]]  # shown as text
    assert page.evaluate("document.querySelectorAll('#chart-unanswered script').length") == 0
    assert page.locator("#chart-unanswered a[href='/admin/gaps']").count() == 1

    with page.expect_download() as info:
        page.get_by_role("link", name="Download “Time to a named person” as CSV").click()
    download = info.value
    assert download.suggested_filename == "firstline-time-to-person-2026-03-01-2026-03-02.csv"
    with open(download.path(), newline="", encoding="utf-8") as f:
        assert list(csv.reader(f)) == table(page, "time-to-person")

    page.get_by_label("From", exact=True).fill("2026-03-02")
    page.get_by_label("Granularity", exact=True).select_option("hour")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**granularity=hour**")
    rows = table(page, "handoffs")
    assert len(rows) == 1 + 24
    assert ["2026-03-02 09:00", "0", "0", "1", "1"] in rows and ["2026-03-02 15:00", "0", "1", "0", "1"] in rows

    assert serious(page) == []


def test_dashboard_agents_get_the_read_only_view(page: Any, seeded: Product) -> None:
    agent = next(name for name in seeded.credentials() if name != "admin")
    log_in(page, seeded, f"/console/dashboard?{RANGE}", agent)
    assert "read-only view" in page.locator("main").inner_text()
    assert table(page, "conversations")[1:] == [["2026-03-01", "3"], ["2026-03-02", "4"]]
    assert page.locator("a[href='/admin/gaps']").count() == 0 and page.locator(".subnav").count() == 0
    assert serious(page) == []
    response = page.goto(f"{seeded.base}/admin/dashboard?{RANGE}")
    assert response is not None and response.status == 403
