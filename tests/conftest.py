"""Shared fixtures: databases (SQLite always, PostgreSQL when DATABASE_URL is set) and factories."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# DATABASE_URL selects PostgreSQL for the database tests only; everything else (including the
# end-to-end run) uses the embedded SQLite default, as a newcomer's machine would.
PG_URL = os.environ.pop("DATABASE_URL", "")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from core.db import Database  # noqa: E402
from core.settings import CoreSettings  # noqa: E402


def make_settings(tmp_path: Path, **kw: object) -> CoreSettings:
    return CoreSettings(_env_file=None, data_dir=tmp_path, secret_key="test-secret", **kw)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path) -> CoreSettings:
    return make_settings(tmp_path)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    from crm import migrate

    database = Database(f"sqlite:///{tmp_path / 'test.db'}")
    migrate(database)
    yield database
    database.dispose()


@pytest.fixture
def pg_db() -> Iterator[Database]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    if not PG_URL:
        pytest.skip("DATABASE_URL is not set: PostgreSQL tests need a server (.ci/run sets it)")
    import psycopg

    from crm import migrate

    name = f"firstline_test_{uuid.uuid4().hex[:10]}"
    admin_url = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin_url.rpartition("/")
    database = Database(f"{base}/{name}")
    try:
        migrate(database)
        yield database
    finally:
        database.dispose()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def any_db(request: pytest.FixtureRequest) -> Database:
    """The same test on SQLite and on PostgreSQL (skipped without DATABASE_URL)."""
    return request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")  # type: ignore[no-any-return]
