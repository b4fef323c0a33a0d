"""Fixtures for knowledge-base tests."""

from __future__ import annotations

import pytest

from core.db import Database
from knowledge_base import ArticleRepository
from tests.knowledge_base.factories import ARTICLES


@pytest.fixture
def demo_db(db: Database) -> Database:
    """A migrated database holding the demo articles."""
    with db.session() as s:
        report = ArticleRepository().import_folder(s, ARTICLES)
    assert report.errors == []
    return db
