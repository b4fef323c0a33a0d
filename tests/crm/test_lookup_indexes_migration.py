"""Migration 0012: the per-turn lookups of a conversation's cases and of recent acceptances use indexes."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from core.db import Database
from crm import migrate
from crm.models import Base
from tests.migrations import downgrade_to

INDEXES = {("cases", "ix_cases_conversation_id", ("conversation_id",)),
           ("handoffs", "ix_handoffs_accepted_at", ("accepted_at",))}


def indexes(db: Database) -> set[tuple[str, str, tuple[str, ...]]]:
    insp = inspect(db.engine)
    return {(t, i["name"], tuple(i["column_names"])) for t in ("cases", "handoffs") for i in insp.get_indexes(t)}


def test_migration_0012_indexes_match_the_models(db: Database) -> None:
    assert INDEXES <= indexes(db)
    declared = {(t.name, i.name, tuple(c.name for c in i.columns)) for t in Base.metadata.sorted_tables
                for i in t.indexes if t.name in ("cases", "handoffs")}
    assert INDEXES <= declared  # a database built from the models has them too


def test_a_conversations_open_case_is_found_through_the_index(db: Database) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's planner picks by table size; the index's presence is checked above")
    with db.engine.connect() as c:
        plan = " ".join(str(r[-1]) for r in c.execute(text(
            "EXPLAIN QUERY PLAN SELECT * FROM cases WHERE conversation_id = 'x' AND status = 'open'")))
    assert "ix_cases_conversation_id" in plan, plan


def test_migration_0012_downgrades_to_0011_and_up_again(db: Database) -> None:
    try:
        downgrade_to(db, "0011")
        assert not INDEXES & indexes(db)
    finally:
        migrate(db)
    assert INDEXES <= indexes(db)
