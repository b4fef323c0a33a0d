from __future__ import annotations

from datetime import UTC, datetime

from core.db import Database
from crm.customer_time import customer_time, tenant_timezone
from tests import factories


def test_customer_time_uses_the_named_zone_and_one_format() -> None:
    assert customer_time(datetime(2026, 12, 3, 7, 30, tzinfo=UTC), "Europe/London") == \
        "Thursday 3 December, 07:30 (UK time)"
    assert customer_time(datetime(2026, 7, 2, 16, 0, tzinfo=UTC), "Europe/London") == \
        "Thursday 2 July, 17:00 (UK time)"  # summer time
    assert customer_time(datetime(2026, 12, 3, 7, 30, tzinfo=UTC), "America/New_York") == \
        "Thursday 3 December, 02:30 (America/New York)"


def test_customer_time_unknown_zone_falls_back_to_utc() -> None:
    assert customer_time(datetime(2026, 12, 3, 7, 30, tzinfo=UTC), "Mars/Olympus") == "Thursday 3 December, 07:30 (UTC)"


def test_tenant_timezone_is_the_agents_zone_else_utc(db: Database) -> None:
    with db.session() as s:
        assert tenant_timezone(s) == "UTC"
        factories.agent(s, "maria", timezone="Europe/London")
        factories.agent(s, "tom", timezone="Europe/London")
        factories.agent(s, "root", role="admin", timezone="UTC")
        assert tenant_timezone(s) == "Europe/London"
