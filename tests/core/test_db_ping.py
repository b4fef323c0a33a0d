"""PostgreSQL connections are pinged only after sitting idle (core/db.py), and dead ones never reach a request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

import core.db
from core.db import Database


@pytest.fixture
def pg(pg_session_db: Database) -> Iterator[Database]:
    """A Database of its own on the session's PostgreSQL database (a pool this test may break)."""
    db = Database(pg_session_db.url)
    yield db
    db.dispose()


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    seen: list[int] = []
    real = core.db._ping

    def counting(dbapi_conn):  # type: ignore[no-untyped-def]
        seen.append(1)
        real(dbapi_conn)

    monkeypatch.setattr(core.db, "_ping", counting)
    return seen


def backend_pid(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(text("SELECT pg_backend_pid()")))


def kill_backend(admin: Database, pid: int) -> None:
    with admin.session() as s:
        assert s.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": pid}) is True


def test_ping_only_after_idle_not_on_every_checkout(pg: Database, pings: list[int]) -> None:
    first = backend_pid(pg)
    assert len(pings) == 1  # a new connection is checked once
    for _ in range(20):  # handed back a moment ago each time: known good
        assert backend_pid(pg) == first
    assert len(pings) == 1


def test_ping_after_idle_replaces_a_dead_connection_before_the_request(
        pg: Database, pg_session_db: Database, pings: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    dead = backend_pid(pg)
    kill_backend(pg_session_db, dead)  # as a database restart does to every pooled connection
    monkeypatch.setattr(core.db, "PING_AFTER_IDLE_SECONDS", 0.0)  # it has been idle "long enough"
    assert backend_pid(pg) != dead  # no error: the ping failed and the pool connected afresh
    assert len(pings) >= 2


def test_dead_connections_in_steady_traffic_fail_once_then_pool_recovers(
        pg: Database, pg_session_db: Database, pings: list[int]) -> None:
    held = [pg.engine.connect() for _ in range(2)]  # two pooled connections, both alive and in use
    dead = {int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in held}
    for c in held:
        c.close()
    for pid in dead:  # a restart under steady traffic: no connection has sat idle
        kill_backend(pg_session_db, pid)
    # The first statement on a dead connection fails, as one under way at a restart does (a 503).
    with pytest.raises(OperationalError):
        with pg.session() as s:
            s.execute(text("SELECT 1"))
    # SQLAlchemy invalidated every connection as old as the failure: the other dead one is never used.
    assert backend_pid(pg) not in dead
    assert backend_pid(pg) not in dead
