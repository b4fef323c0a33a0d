from __future__ import annotations

from sqlalchemy import inspect

from core.db import Database
from crm import migrate


def test_migration_0002_creates_the_knowledge_base_tables(db: Database) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert {"kb_articles", "kb_article_versions"} <= tables
    columns = {c["name"] for c in inspect(db.engine).get_columns("kb_article_versions")}
    assert {"article_id", "version", "body", "author", "note", "created_at"} <= columns


def test_migration_0002_downgrades_to_0001_without_touching_crm_tables(db: Database) -> None:
    from alembic import command

    from crm.schema import alembic_config

    cfg = alembic_config(db.url)
    try:
        with db.engine.begin() as connection:  # later migrations (any branch's) come off first
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "0002")
        before = set(inspect(db.engine).get_table_names())
        with db.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "0001")
        after = set(inspect(db.engine).get_table_names())
    finally:
        migrate(db)  # back to head, even when an assertion fails: the PostgreSQL database is shared
    assert before - after == {"kb_articles", "kb_article_versions"}
    assert "kb_articles" in set(inspect(db.engine).get_table_names())
