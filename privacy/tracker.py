"""Rasa's tracker store: where it is (as firstline.rasa_project writes it into endpoints.yml) and how
to remove conversations from it. Rasa's sender id is our conversation id."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import bindparam, create_engine, inspect, text

from core.db import normalise_url
from core.settings import CoreSettings

__all__ = ["erase_trackers", "tracker_db_url", "tracker_rows"]

TABLE = "events"  # rasa.core.tracker_store.SQLTrackerStore.SQLEvent


def tracker_db_url(settings: CoreSettings) -> str:
    """SQLite under the data dir by default; with PostgreSQL, Rasa shares the app's database."""
    if settings.database_url.startswith("postgres"):
        return normalise_url(settings.database_url)
    return f"sqlite:///{settings.data_dir / 'rasa' / 'tracker.db'}"


def _run(url: str, sql: str, sender_ids: Sequence[str]) -> int:
    if not sender_ids:
        return 0
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return 0  # Rasa never started here: there is no tracker to clean
    engine = create_engine(url)
    try:
        if not inspect(engine).has_table(TABLE):
            return 0  # Rasa has not stored a conversation yet
        stmt = text(sql).bindparams(bindparam("ids", expanding=True))
        with engine.begin() as conn:
            result = conn.execute(stmt, {"ids": list(sender_ids)})
            return int(result.scalar_one() if sql.startswith("SELECT") else result.rowcount or 0)
    finally:
        engine.dispose()


def tracker_rows(url: str, sender_ids: Sequence[str]) -> int:
    """Return how many tracker events these conversations have."""
    return _run(url, f"SELECT count(*) FROM {TABLE} WHERE sender_id IN :ids", sender_ids)


def erase_trackers(url: str, sender_ids: Sequence[str]) -> int:
    """Delete these conversations' trackers (every event Rasa stored for them); return the rows removed."""
    return _run(url, f"DELETE FROM {TABLE} WHERE sender_id IN :ids", sender_ids)
