"""Dashboard rollups give exactly the raw queries' figures, follow later edits and erasures, rebuild idempotently."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bench.dashboard import END
from bench.dashboard import seed as seed_random
from core.db import Database
from core.settings import CoreSettings
from crm import Conversation, Handoff, Message, Sender
from insights import rollup_figures, rollups
from insights.dashboard import Period, dashboard
from insights.rollup_marks import install as mark_changes
from insights.rollup_models import DirtyHour, DurationRow, HourRow, RollupRow, RollupState, UnansweredRow
from tests.insights.dashboard_data import DAY1, DAY2, NOW, at, seed

TWO_DAYS = Period(DAY1, DAY1 + timedelta(days=2), "day")
H = timedelta(hours=1)


def figures(db: Database, period: Period, now: datetime) -> tuple[list[Any], list[Any]]:
    """(figures from rollups, figures from the raw queries) as comparable tuples."""
    with db.session() as s:
        fast = [(f.key, f.columns, f.rows) for f in rollup_figures.dashboard(s, period, now)]
        slow = [(f.key, f.columns, f.rows) for f in dashboard(s, period, now)]
    return fast, slow


def tables(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    with db.session() as s:
        return {
            "hours": sorted(tuple(r) for r in s.execute(select(*HourRow.__table__.columns)).all()),
            "rollups": sorted(s.execute(select(RollupRow.hour, RollupRow.metric, RollupRow.dim, RollupRow.n)).all()),
            "durations": sorted(s.execute(select(DurationRow.hour, DurationRow.metric, DurationRow.n,
                                                 DurationRow.seconds)).all()),
            "unanswered": sorted(s.execute(select(UnansweredRow.hour, UnansweredRow.message_id)).all()),
            "state": [(st.through,) for st in s.scalars(select(RollupState))],
        }


def stored(db: Database, hour: datetime, column: str) -> int | None:
    """One column of one hour's stored rollup (None: no row for that hour)."""
    with db.session() as s:
        row = s.get(HourRow, hour)
        return getattr(row, column) if row is not None else None


def test_rollups_equal_the_raw_figures_on_a_random_history(db: Database) -> None:
    seed_random(db, 400, random.Random(7), 4)
    with db.session() as s:
        assert rollups.rebuild(s, END)["new_hours"] == 4 * 24
    with db.session() as s:
        assert rollups.rolled_through(s) == END
        assert s.scalar(select(func.sum(HourRow.conversations))) == 400
    mid = END - timedelta(days=2, minutes=47)
    for period in (Period(END - timedelta(days=4), END, "day"), Period(END - timedelta(days=4), END, "hour"),
                   Period(END - timedelta(days=3, minutes=25), mid, "hour"),  # partial hours at both ends
                   Period(END - timedelta(days=3, minutes=25), mid, "day")):
        with db.session() as s:
            window, raw_parts = rollup_figures.plan(period, rollups.rolled_through(s), rollups.dirty_hours(s))
        assert window is not None  # the figures below do come from the rollups
        fast, slow = figures(db, period, END)
        assert fast == slow
        assert any(rows for _, _, rows in fast)


def test_open_edge_and_dirty_hours_are_read_raw_and_still_equal(db: Database) -> None:
    seed_random(db, 300, random.Random(3), 3)
    half = END - timedelta(days=1, hours=5)
    with db.session() as s:
        rollups.rebuild(s, half)  # the last 29 hours are not rolled up yet
        s.add_all([DirtyHour(hour=END - timedelta(days=2, hours=3)), DirtyHour(hour=END - timedelta(days=2, hours=2))])
    period = Period(END - timedelta(days=3), END, "hour")
    with db.session() as s:
        window, raw_parts = rollup_figures.plan(period, rollups.rolled_through(s), rollups.dirty_hours(s))
    assert window == (END - timedelta(days=3), half)
    assert raw_parts == [(END - timedelta(days=2, hours=3), END - timedelta(days=2, hours=1)), (half, END)]
    fast, slow = figures(db, period, END)
    assert fast == slow
    fast, slow = figures(db, Period(END - timedelta(days=3), END, "day"), END)
    assert fast == slow


def test_later_edits_show_at_once_and_are_rolled_up_by_the_next_refresh(db: Database) -> None:
    mark_changes()
    with db.session() as s:
        seed(s)
    with db.session() as s:
        rollups.rebuild(s, NOW)
    with db.session() as s:
        assert rollups.dirty_hours(s) == set()
        c1 = s.scalars(select(Conversation).where(Conversation.created_at == at(DAY1, 8))).one()
        c3 = s.scalars(select(Conversation).where(Conversation.created_at == at(DAY1, 11))).one()
        answer = s.scalars(select(Message).where(Message.text == "TV Plus line-up")).one()
        c1.rating = 1  # the customer changed their mind
        s.add(Message(conversation_id=c3.id, sender=Sender.CUSTOMER, text="hello?", created_at=NOW))  # wrote later
        s.add(Handoff(conversation_id=c3.id, trigger="asked_for_human", reason="r", created_at=NOW))  # and got a person
        answer.meta = {**answer.meta, "helpful": True}  # "did this help?" answered a day later
    with db.session() as s:
        assert {at(DAY1, 8), at(DAY1, 11), at(DAY2, 13), at(DAY2, 12)} <= rollups.dirty_hours(s)
    expected = {
        "containment": [["2026-03-01", 3, 1, 33.3], ["2026-03-02", 4, 1, 25.0]],
        "csat": [["2026-03-01", 2, 0, 0.0, 1.5], ["2026-03-02", 1, 1, 100.0, 4.0]],
        "helpful": [["2026-03-01", 1, 1, 1, 100.0], ["2026-03-02", 2, 2, 1, 50.0]],
    }
    for when in ("before the refresh", "after the refresh"):
        with db.session() as s:
            got = {f.key: f.rows for f in rollup_figures.dashboard(s, TWO_DAYS, NOW) if f.key in expected}
        assert got == expected, when
        assert figures(db, TWO_DAYS, NOW)[0] == figures(db, TWO_DAYS, NOW)[1], when
        with db.session() as s:
            rollups.refresh(s, NOW + 3 * H)  # 14:00: the edited hours are all closed
    with db.session() as s:
        assert rollups.dirty_hours(s) == set()
    assert (stored(db, at(DAY1, 11), "chats"), stored(db, at(DAY1, 11), "contained")) == (1, 0)  # recounted
    assert (stored(db, at(DAY1, 8), "ratings"), stored(db, at(DAY1, 8), "rating_sum")) == (1, 1)
    assert (stored(db, at(DAY2, 13), "answers_rated"), stored(db, at(DAY2, 13), "answers_yes")) == (1, 1)


def test_rebuild_and_refresh_are_idempotent(db: Database) -> None:
    seed_random(db, 200, random.Random(5), 2)
    with db.session() as s:
        rollups.rebuild(s, END)
    first = tables(db)
    assert first["hours"] and first["rollups"] and first["durations"] and first["unanswered"]
    with db.session() as s:
        rollups.rebuild(s, END)
    assert tables(db) == first
    with db.session() as s:
        assert rollups.refresh(s, END) == {"new_hours": 0, "recomputed_hours": 0}
        s.add(DirtyHour(hour=END - timedelta(hours=30)))
    with db.session() as s:
        assert rollups.refresh(s, END) == {"new_hours": 0, "recomputed_hours": 1}
    assert tables(db) == first


def test_rollups_hold_counts_and_numbers_only(db: Database) -> None:
    mark_changes()
    with db.session() as s:
        seed(s)
        rollups.rebuild(s, DAY2 + timedelta(days=1))  # every hour of the history
    dump = repr(tables(db))
    for text in ("refund", "script", "read my bill", "maria", "tv plus", "sorry"):
        assert text not in dump.lower(), text
    dims = {r[2] for r in tables(db)["rollups"]}
    assert dims == {"asked_for_human", "negative_sentiment", "low_confidence", "billing_question",
                    "nlu_fallback", "request_human", "outage"}


def test_erasing_a_customer_recounts_their_hours(db: Database, settings: CoreSettings, tmp_path: Path) -> None:
    from privacy import erase_everywhere

    mark_changes()
    with db.session() as s:
        seed(s)
    with db.session() as s:
        rollups.rebuild(s, NOW)
        c2 = s.scalars(select(Conversation).where(Conversation.created_at == at(DAY1, 9, 58))).one()
        customer_id, c2_id = c2.customer_id, c2.id
        asked = s.scalars(select(Message.id).where(Message.conversation_id == c2_id,
                                                   Message.sender == "customer")).one()
    with db.session() as s:
        assert (at(DAY1, 9), asked) in {(h, i) for h, i in s.execute(select(UnansweredRow.hour,
                                                                              UnansweredRow.message_id))}
    erase_everywhere(settings, db, customer_id, "root", nlu_dir=tmp_path)
    fast, slow = figures(db, TWO_DAYS, NOW)
    assert fast == slow  # at once: their hours are read raw until recounted
    assert dict((k, r) for k, _, r in fast)["conversations"] == [["2026-03-01", 2], ["2026-03-02", 4]]
    with db.session() as s:
        rollups.refresh(s, NOW)
    assert figures(db, TWO_DAYS, NOW)[0] == slow
    assert stored(db, at(DAY1, 9), "conversations") is None  # c2 was the hour's only chat
    with db.session() as s:
        assert asked not in set(s.scalars(select(UnansweredRow.message_id)))
        assert at(DAY1, 10) not in {h for (h,) in s.execute(select(DurationRow.hour))}  # its time to a person


@pytest.mark.parametrize("granularity", ["day", "hour"])
def test_no_rollups_yet_means_all_raw(db: Database, granularity: str) -> None:
    with db.session() as s:
        seed(s)
    period = Period(DAY1, DAY1 + timedelta(days=2), granularity)
    with db.session() as s:
        assert rollup_figures.plan(period, rollups.rolled_through(s), set()) == (None, [(period.start, period.end)])
    fast, slow = figures(db, period, NOW)
    assert fast == slow


def test_cli_rebuild_then_refresh(sqlite_db: Database, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    from core.settings import get_settings
    from firstline.cli import main

    with sqlite_db.session() as s:
        seed(s)
    monkeypatch.setenv("DATABASE_URL", sqlite_db.url)
    get_settings.cache_clear()
    try:
        assert main(["dashboard-rollups", "rebuild"]) == 0
        rebuilt = capsys.readouterr().out
        assert main(["dashboard-rollups", "refresh"]) == 0
        refreshed = capsys.readouterr().out
    finally:
        get_settings.cache_clear()
    assert '"new_hours": ' in rebuilt and int(rebuilt.split('"new_hours": ')[1].split(",")[0]) > 24 * 270
    assert refreshed.strip() in ('{"new_hours": 0, "recomputed_hours": 0}', '{"new_hours": 1, "recomputed_hours": 0}')
    assert stored(sqlite_db, at(DAY2, 8), "conversations") == 1


def test_a_range_bounded_at_half_hours_is_exact(db: Database) -> None:
    """One day in India (UTC+5:30) is 18:30 to 18:30 UTC: the rollup hours cannot be cut in two, so the
    half hours at its ends are read raw and the rest from rollups; the figures stay the raw ones."""
    seed_random(db, 400, random.Random(11), 3)
    with db.session() as s:
        rollups.rebuild(s, END)
    day_start = END - timedelta(days=2) - timedelta(hours=5, minutes=30)
    for granularity in ("hour", "day"):
        period = Period(day_start, day_start + timedelta(days=1), granularity)
        with db.session() as s:
            window, raw_parts = rollup_figures.plan(period, rollups.rolled_through(s), set())
        assert window == (day_start + timedelta(minutes=30), day_start + timedelta(days=1, minutes=-30))
        assert raw_parts == [(day_start, day_start + timedelta(minutes=30)),
                             (day_start + timedelta(days=1, minutes=-30), day_start + timedelta(days=1))]
        fast, slow = figures(db, period, END)
        assert fast == slow
