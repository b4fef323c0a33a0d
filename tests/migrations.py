"""Helpers for the migration tests: take a test database down to an earlier revision."""

from __future__ import annotations

from alembic.command import downgrade

from core.db import Database
from crm.schema import alembic_config


def downgrade_to(db: Database, revision: str) -> None:
    """Run the migrations down to `revision` (later ones, of any branch, come off first)."""
    cfg = alembic_config(db.url)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        downgrade(cfg, revision)
