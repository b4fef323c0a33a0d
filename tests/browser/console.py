"""Browser helpers for the agent side: log in to the console and go online."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Product
from tests.e2e.staff import PASSWORD


def console_login(page: Any, product: Product, username: str, status: str = "online") -> None:
    page.goto(f"{product.base}/login?next=/console")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/console")
    page.get_by_label("My status").select_option(status)
    page.wait_for_timeout(300)
