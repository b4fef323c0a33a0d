"""Which process runs the follow-up jobs: the one that holds this lock (the others only store jobs).

SQLite: an exclusive file lock beside the database file. PostgreSQL: a session advisory lock held
on one connection. Either is released when the process stops or dies, so a restart takes over.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from core.db import Database

_ADVISORY_KEY = 0x46_4C_46_55  # "FLFU"


class RunnerLock:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._held: Any = None

    def acquire(self) -> bool:
        """Try once, without waiting; True when this process now runs the jobs."""
        if self.db.is_sqlite:
            path = self.db.url.split("///", 1)[-1]
            if not path or path == ":memory:":
                return True
            fd = os.open(f"{path}.followup.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            self._held = fd
            return True
        from sqlalchemy import text

        conn = self.db.engine.connect()
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _ADVISORY_KEY}).scalar())
        conn.commit()
        if not got:
            conn.close()
            return False
        self._held = conn
        return True

    def release(self) -> None:
        held, self._held = self._held, None
        if held is None:
            return
        if isinstance(held, int):
            fcntl.flock(held, fcntl.LOCK_UN)
            os.close(held)
        else:
            from sqlalchemy import text

            held.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_KEY})
            held.commit()
            held.close()
