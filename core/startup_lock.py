"""One process at a time migrates and seeds a database: the others wait, then find it done.

Several app workers (uvicorn --workers, or replicas in docker-compose) start at once on one database.
Without this, two of them ran Alembic's CREATE TABLEs together on a fresh PostgreSQL database; one
failed with a duplicate key, uvicorn's master saw a worker fail at start-up and stopped the whole app.

PostgreSQL: a session advisory lock on one connection (released when the process dies). SQLite: an
exclusive file lock beside the database file. Both block until the holder is done.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from core.db import Database

_ADVISORY_KEY = 0x46_4C_53_55  # "FLSU": distinct from the follow-up runner's key


@contextmanager
def startup_lock(db: Database) -> Iterator[None]:
    """Hold the database's start-up lock for the duration of the block (waiting for it if taken)."""
    if db.is_sqlite:
        path = db.url.split("///", 1)[-1]
        if not path or path == ":memory:":
            yield
            return
        fd = os.open(f"{path}.startup.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        return
    from sqlalchemy import text

    with db.engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _ADVISORY_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_KEY})
            conn.commit()


__all__ = ["startup_lock"]
