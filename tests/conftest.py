"""Shared fixtures: databases (SQLite always, PostgreSQL when DATABASE_URL is set) and factories."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# DATABASE_URL selects PostgreSQL for the database tests only; everything else (including the
# end-to-end run) uses the embedded SQLite default, as a newcomer's machine would.
PG_URL = os.environ.pop("DATABASE_URL", "")
# REDIS_URL likewise: only the production-mode tests use Redis (the embedded default needs none).
REDIS_URL = os.environ.pop("REDIS_URL", "")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from core.db import Database  # noqa: E402
from core.settings import CoreSettings  # noqa: E402


def make_settings(tmp_path: Path, **kw: object) -> CoreSettings:
    kw.setdefault("secret_key", "test-secret")
    return CoreSettings(_env_file=None, data_dir=tmp_path, **kw)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> CoreSettings:
    return make_settings(tmp_path)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    from crm import migrate

    database = Database(f"sqlite:///{tmp_path / 'test.db'}")
    migrate(database)
    yield database
    database.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> Database:
    """Every database test runs on SQLite, and on PostgreSQL too when DATABASE_URL is set."""
    return request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "pg_db")  # type: ignore[no-any-return]


def _pg_admin(sql: str) -> None:
    import psycopg

    admin_url = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at DATABASE_URL={PG_URL} is unreachable: {exc}")


def _pg_url(name: str) -> str:
    base, _, _ = PG_URL.replace("postgresql+psycopg://", "postgresql://").rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def pg_session_db() -> Iterator[Database]:
    """One PostgreSQL database for the session, migrated once by Alembic, dropped at the end."""
    if not PG_URL:
        pytest.skip("DATABASE_URL is not set: PostgreSQL tests need a server (.ci/run sets it)")
    from crm import migrate

    name = f"firstline_test_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    database = Database(_pg_url(name))
    try:
        migrate(database)
        yield database
    finally:
        database.dispose()
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_db(pg_session_db: Database) -> Database:
    """The session's PostgreSQL database, emptied for this test (creating one per test costs a checkpoint)."""
    from sqlalchemy import text

    with pg_session_db.engine.begin() as conn:
        names = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                  "AND tablename <> 'alembic_version'")).scalars()
        quoted = ", ".join(f'"{n}"' for n in names)
        conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    return pg_session_db


PUBLIC_CHANNEL_SECRET = "e2e-public-channel-secret"
@pytest.fixture
def redis_url() -> str:
    """The machine's Redis (REDIS_URL; .ci/run sets it) for non-destructive tests."""
    if not REDIS_URL:
        pytest.skip("REDIS_URL is not set: production-mode tests need a Redis server (.ci/run sets it)")
    return REDIS_URL


@pytest.fixture(scope="session")
def product_mail() -> Iterator[Any]:
    """A real SMTP server (aiosmtpd) the product sends its email to; tests read what it delivered."""
    from tests.outbound.servers import smtp_sink

    with smtp_sink() as sink:
        yield sink


@pytest.fixture(scope="session")
def public_reply_sink() -> Iterator[Any]:
    """A real HTTP server the product posts agents' public-channel replies to (checks their signature)."""
    from tests.outbound.servers import http_sink

    with http_sink(PUBLIC_CHANNEL_SECRET) as sink:
        yield sink


@pytest.fixture(scope="session")
def product(tmp_path_factory: pytest.TempPathFactory, product_mail: Any, public_reply_sink: Any) -> Iterator[Any]:
    """The real product (`firstline run`: real Rasa, model, database), started once for e2e and browser tests."""
    import httpx

    from firstline import launch

    env = {"FIRSTLINE_OUTBOUND_SMTP_HOST": product_mail.host,
           "FIRSTLINE_OUTBOUND_SMTP_PORT": str(product_mail.port),
           "FIRSTLINE_OUTBOUND_SMTP_SENDER": "Tidewater Fibre <help@tidewaterfibre.example>",
           "FIRSTLINE_CHANNELS_PUBLIC_SECRET": PUBLIC_CHANNEL_SECRET,
           "FIRSTLINE_CHANNELS_PUBLIC_REPLY_URL": public_reply_sink.url,
           # Every staff test logs in from 127.0.0.1, dozens of times a minute: the limits stay on, wider.
           "FIRSTLINE_WEB_RATE_LOGIN_PER_IP": "1000/minute",
           "FIRSTLINE_WEB_RATE_START_PER_IP": "1000/minute"}
    try:
        started = launch.start(tmp_path_factory.mktemp("product"), secret="e2e-secret", env=env)
    except launch.LaunchError as exc:
        pytest.fail(str(exc))
    yield started
    # Ctrl-C must stop both processes cleanly.
    code = started.stop()
    assert code == 0, "".join(started.output[-30:])
    assert "[firstline] stopped\n" in started.output
    for url in (started.base, started.rasa):
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + "/", timeout=2)


# The small production product on its own Redis: one instance for the e2e and browser tests that kill it.
from tests.production_redis import redis_server, small_prod  # noqa: E402,F401
