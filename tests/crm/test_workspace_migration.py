"""Migration 0010: the console workspace tables, up and down, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from core.db import Database
from crm import migrate
from tests.migrations import downgrade_to

TABLES = {"tenant_settings", "canned_replies", "conversation_reads", "assist_suggestions", "gap_dismissals"}


def test_migration_0010_creates_the_workspace_tables_and_agents_active(db: Database) -> None:
    insp = inspect(db.engine)
    assert TABLES <= set(insp.get_table_names())
    assert "active" in {c["name"] for c in insp.get_columns("agents")}


def test_migration_0010_downgrades_to_0002(db: Database) -> None:
    try:
        downgrade_to(db, "0002")
        insp = inspect(db.engine)
        assert not TABLES & set(insp.get_table_names())
        assert "active" not in {c["name"] for c in insp.get_columns("agents")}
    finally:
        migrate(db)
