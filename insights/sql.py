"""SQL pieces the dashboard needs that SQLite and PostgreSQL spell differently: time buckets and durations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

# strftime / to_char patterns of a bucket's key; keys sort in time order as text.
_SQLITE_FORMAT = {"day": "%Y-%m-%d", "hour": "%Y-%m-%d %H:00"}
_PG_FORMAT = {"day": "YYYY-MM-DD", "hour": "YYYY-MM-DD HH24:00"}


class bucket(FunctionElement[str]):  # noqa: N801 - reads as a SQL function
    """The UTC day ('2026-12-03') or hour ('2026-12-03 07:00') a timestamp falls in, as text."""

    type = String()
    inherit_cache = False  # the format is part of the SQL text, so the statement is not cached

    def __init__(self, column: ColumnElement[Any], granularity: str) -> None:
        if granularity not in _SQLITE_FORMAT:
            raise ValueError(f"unknown granularity {granularity!r}")
        self.granularity = granularity
        super().__init__(column)


@compiles(bucket, "sqlite")
def _bucket_sqlite(element: bucket, compiler: Any, **kw: Any) -> str:
    # SQLite keeps UTC timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' text (core.db.UTCDateTime).
    return f"strftime('{_SQLITE_FORMAT[element.granularity]}', {compiler.process(element.clauses, **kw)})"


@compiles(bucket, "postgresql")
def _bucket_pg(element: bucket, compiler: Any, **kw: Any) -> str:
    # timestamptz: the session's time zone must not move a chat into another day.
    col = compiler.process(element.clauses, **kw)
    return f"to_char(({col}) AT TIME ZONE 'UTC', '{_PG_FORMAT[element.granularity]}')"


class seconds_between(FunctionElement[float]):  # noqa: N801
    """Seconds from the first timestamp to the second (negative when the second is earlier)."""

    type = Float()
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_pg(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Return the q-quantile (0..1) with linear interpolation, as PostgreSQL's percentile_cont does."""
    if not sorted_values:
        return None
    pos = (len(sorted_values) - 1) * q
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)
