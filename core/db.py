"""Database engine and session factory: SQLite (WAL) by default, PostgreSQL through DATABASE_URL."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Store UTC; always hand back aware datetimes (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {
        datetime: UTCDateTime,
        dict: JSON,
        list: JSON,
        dict[str, Any]: JSON,
        list[Any]: JSON,
        list[str]: JSON,
    }


_AFTER_COMMIT = "firstline.after_commit"


def after_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run fn once session's transaction has committed (never, if it rolls back).

    Events announce what is already true: a console that re-reads on an event must find the new
    state, and a rolled-back change must announce nothing.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(fn)


def normalise_url(url: str) -> str:
    """Map plain postgresql:// URLs onto the psycopg 3 driver we ship."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


# A pooled PostgreSQL connection idle for longer than this is pinged before use. SQLAlchemy's
# pool_pre_ping pings on every checkout: about twelve extra round trips per customer turn (each
# session), the largest single item of production mode's per-turn cost after the statements
# themselves. A connection handed back a moment ago is known good; one that sat idle (through a
# database restart, say) is checked, and a dead one is replaced before the request sees it. A
# restart under steady traffic fails the statements already under way (503, nothing half-stored),
# and SQLAlchemy then invalidates every connection older than the failure: service resumes by itself.
PING_AFTER_IDLE_SECONDS = 1.0
_CHECKED_IN = "firstline.checked_in"


def _ping(dbapi_conn) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    try:
        cur.execute("SELECT 1")
    finally:
        cur.close()
    dbapi_conn.rollback()


def _ping_if_idle(dbapi_conn, record, _proxy) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import DisconnectionError

    last = record.info.get(_CHECKED_IN)
    if last is not None and time.monotonic() - last < PING_AFTER_IDLE_SECONDS:
        return
    try:
        _ping(dbapi_conn)
    except Exception as exc:  # the pool retries with a new connection (up to three times), then raises
        raise DisconnectionError(f"pooled connection failed its ping: {exc}") from exc


def _note_checkin(_dbapi_conn, record) -> None:  # type: ignore[no-untyped-def]
    record.info[_CHECKED_IN] = time.monotonic()


class Database:
    """An engine plus a session factory; one per process."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        if self.url.startswith("sqlite"):
            path = self.url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                self.url, connect_args={"check_same_thread": False, "timeout": 30}
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            # pool_recycle: a connection a firewall or server timeout closed while idle is not reused.
            self.engine = create_engine(self.url, pool_size=10, max_overflow=20, pool_recycle=1800)
            event.listen(self.engine, "checkout", _ping_if_idle)
            event.listen(self.engine, "checkin", _note_checkin)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield a session that commits on success and rolls back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.info.pop(_AFTER_COMMIT, None)
            session.rollback()
            raise
        finally:
            hooks = session.info.pop(_AFTER_COMMIT, [])
            session.close()
        for fn in hooks:
            fn()

    def dispose(self) -> None:
        self.engine.dispose()
