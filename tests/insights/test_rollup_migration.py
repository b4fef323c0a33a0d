"""Migration 0011: the dashboard rollup tables, up and down, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from core.db import Database
from crm import migrate
from tests.migrations import downgrade_to

TABLES = {"dashboard_hours", "dashboard_rollups", "dashboard_durations", "dashboard_unanswered",
          "dashboard_rollup_state", "dashboard_dirty_hours"}


def test_migration_0011_creates_the_rollup_tables(db: Database) -> None:
    insp = inspect(db.engine)
    assert TABLES <= set(insp.get_table_names())
    assert [c["name"] for c in insp.get_columns("dashboard_rollups")] == ["hour", "metric", "dim", "n"]
    assert [c["name"] for c in insp.get_columns("dashboard_hours")] == [
        "hour", "conversations", "chats", "contained", "ratings", "rating_sum", "rated_good", "answers",
        "answers_rated", "answers_yes", "scored", "sentiment_sum", "negative"]
    assert insp.get_pk_constraint("dashboard_rollups")["constrained_columns"] == ["metric", "hour", "dim"]
    assert {i["name"] for i in insp.get_indexes("dashboard_dirty_hours")} == {"ix_dashboard_dirty_hours_hour"}


def test_migration_0011_downgrades_to_0010_and_up_again(db: Database) -> None:
    try:
        downgrade_to(db, "0010")
        insp = inspect(db.engine)
        assert not TABLES & set(insp.get_table_names())
        assert "tenant_settings" in set(insp.get_table_names())  # 0010's own tables stay
    finally:
        migrate(db)
    assert TABLES <= set(inspect(db.engine).get_table_names())
