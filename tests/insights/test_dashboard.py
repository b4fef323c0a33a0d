"""Each dashboard figure on a small known history, on SQLite and PostgreSQL, with exact numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.db import Database
from insights.dashboard import Period, PeriodError, dashboard, figure
from tests.insights.dashboard_data import DAY1, NOW, XSS, seed

TWO_DAYS = Period(DAY1, DAY1 + timedelta(days=2), "day")


def rows(db: Database, key: str, period: Period = TWO_DAYS) -> list[list[object]]:
    with db.session() as s:
        seed(s)
    with db.session() as s:
        return figure(s, key, period, now=NOW).rows


def test_conversations_counts_per_day_without_the_day_before(db: Database) -> None:
    assert rows(db, "conversations") == [["2026-03-01", 3], ["2026-03-02", 4]]


def test_containment_counts_only_chats_where_the_customer_wrote(db: Database) -> None:
    assert rows(db, "containment") == [["2026-03-01", 2, 1, 50.0], ["2026-03-02", 4, 1, 25.0]]


def test_handoffs_by_trigger_leave_out_transfers(db: Database) -> None:
    with db.session() as s:
        seed(s)
    with db.session() as s:
        f = figure(s, "handoffs", TWO_DAYS)
    assert f.columns == ["period", "asked_for_human", "low_confidence", "negative_sentiment", "total"]
    assert f.rows == [["2026-03-01", 1, 0, 0, 1], ["2026-03-02", 1, 1, 1, 3]]


def test_time_to_person_gives_median_and_p90_of_accepted_handoffs(db: Database) -> None:
    # Day 2: 300 s and 60 s accepted (the queued one is not); p90 interpolates as percentile_cont does.
    assert rows(db, "time-to-person") == [["2026-03-01", 1, 120.0, 120.0], ["2026-03-02", 2, 180.0, 276.0]]


def test_first_response_runs_from_the_first_handoff_to_the_first_agent_message(db: Database) -> None:
    assert rows(db, "first-response") == [["2026-03-01", 1, 180.0, 180.0], ["2026-03-02", 2, 90.0, 114.0]]


def test_csat_is_the_share_of_ratings_of_four_or_five(db: Database) -> None:
    assert rows(db, "csat") == [["2026-03-01", 2, 1, 50.0, 3.5], ["2026-03-02", 1, 1, 100.0, 4.0]]


def test_helpful_rate_counts_only_answers_the_customer_rated(db: Database) -> None:
    assert rows(db, "helpful") == [["2026-03-01", 1, 1, 1, 100.0], ["2026-03-02", 2, 1, 0, 0.0]]


def test_sentiment_mean_and_negative_share_of_customer_messages(db: Database) -> None:
    assert rows(db, "sentiment") == [["2026-03-01", 2, -0.05, 50.0], ["2026-03-02", 3, -0.133, 33.3]]


def test_top_intents_are_ordered_by_count_then_name(db: Database) -> None:
    assert rows(db, "intents") == [["billing_question", 2], ["nlu_fallback", 2], ["outage", 1],
                                   ["request_human", 1]]


def test_top_unanswered_groups_the_same_question_ignoring_case_and_spaces(db: Database) -> None:
    assert rows(db, "unanswered") == [["Where is my refund?", 2], [XSS, 1]]


def test_queue_now_counts_waiting_chats_from_their_latest_handoff(db: Database) -> None:
    assert rows(db, "queue") == [["Maria Lopez", 1, 600, 600], ["All", 1, 600, 600]]


def test_hourly_buckets_put_each_chat_in_its_utc_hour(db: Database) -> None:
    hours = Period(DAY1.replace(hour=8), DAY1.replace(hour=12), "hour")
    assert rows(db, "conversations", hours) == [["2026-03-01 08:00", 1], ["2026-03-01 09:00", 1],
                                                ["2026-03-01 10:00", 0], ["2026-03-01 11:00", 1]]


def test_dashboard_returns_every_figure_with_the_queue_last(db: Database) -> None:
    with db.session() as s:
        seed(s)
    with db.session() as s:
        keys = [f.key for f in dashboard(s, TWO_DAYS, now=NOW)]
    assert keys == ["conversations", "containment", "handoffs", "time-to-person", "first-response", "csat",
                    "helpful", "sentiment", "intents", "unanswered", "queue"]


def test_empty_database_gives_zeros_and_no_percentiles(db: Database) -> None:
    with db.session() as s:
        assert figure(s, "time-to-person", TWO_DAYS).rows == [["2026-03-01", 0, None, None],
                                                              ["2026-03-02", 0, None, None]]
        assert figure(s, "queue", TWO_DAYS, now=NOW).rows == [["All", 0, 0, 0]]


@pytest.mark.parametrize(("start", "end", "granularity", "why"), [
    (DAY1, DAY1, "day", "after its start"),
    (DAY1, DAY1 + timedelta(days=1), "week", "granularity"),
    (DAY1, DAY1 + timedelta(days=40), "hour", "at most 31 days"),
    (DAY1.replace(tzinfo=None), datetime(2026, 3, 2), "day", "time zone"),
])
def test_period_refuses_a_range_it_cannot_show(start: datetime, end: datetime, granularity: str, why: str) -> None:
    with pytest.raises(PeriodError, match=why):
        Period(start, end, granularity)


def test_unknown_figure_is_a_lookup_error(sqlite_db: Database) -> None:
    with sqlite_db.session() as s, pytest.raises(LookupError):
        figure(s, "nope", TWO_DAYS)


def test_period_keys_cover_every_day_even_from_midday() -> None:
    assert Period(datetime(2026, 3, 1, 12, tzinfo=UTC), datetime(2026, 3, 3, 6, tzinfo=UTC)).keys() == [
        "2026-03-01", "2026-03-02", "2026-03-03"]
