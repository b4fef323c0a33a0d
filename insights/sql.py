"""SQL pieces the dashboard needs that SQLite and PostgreSQL spell differently: time buckets and durations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

# to_char patterns of a bucket's key; keys sort in time order as text.
_PG_FORMAT = {"day": "YYYY-MM-DD", "hour": "YYYY-MM-DD HH24:00"}


class bucket(FunctionElement[str]):  # noqa: N801 - reads as a SQL function
    """The UTC day ('2026-12-03') or hour ('2026-12-03 07:00') a timestamp falls in, as text."""

    type = String()
    inherit_cache = False  # the format is part of the SQL text, so the statement is not cached

    def __init__(self, column: ColumnElement[Any], granularity: str) -> None:
        if granularity not in _PG_FORMAT:
            raise ValueError(f"unknown granularity {granularity!r}")
        self.granularity = granularity
        super().__init__(column)


@compiles(bucket, "sqlite")
def _bucket_sqlite(element: bucket, compiler: Any, **kw: Any) -> str:
    # SQLite keeps UTC timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' text (core.db.UTCDateTime): a prefix of
    # that text is the bucket, several times cheaper per row than strftime over 100,000s of rows.
    col = compiler.process(element.clauses, **kw)
    return f"substr({col}, 1, 10)" if element.granularity == "day" else f"(substr({col}, 1, 13) || ':00')"


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


class json_text(FunctionElement[str]):  # noqa: N801
    """A top-level key of a JSON column as SQL text (or 1/0 for a JSON boolean on SQLite).

    The path is written into the SQL (not bound), so the expression matches the expression indexes of
    migration 0005 on messages.meta, which both databases use only when the query spells them the same.
    """

    type = String()
    inherit_cache = False

    def __init__(self, column: ColumnElement[Any], key: str) -> None:
        if not key.isidentifier():
            raise ValueError(f"not a plain JSON key: {key!r}")
        self.key = key
        super().__init__(column)


@compiles(json_text, "sqlite")
def _json_text_sqlite(element: json_text, compiler: Any, **kw: Any) -> str:
    return f"json_extract({compiler.process(element.clauses, **kw)}, '$.{element.key}')"


@compiles(json_text, "postgresql")
def _json_text_pg(element: json_text, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} ->> '{element.key}')"


class json_flag(FunctionElement[int]):  # noqa: N801
    """A JSON boolean key as 1 (true), 0 (false) or NULL (absent), for counting and summing."""

    type = Integer()
    inherit_cache = False

    def __init__(self, column: ColumnElement[Any], key: str) -> None:
        if not key.isidentifier():
            raise ValueError(f"not a plain JSON key: {key!r}")
        self.key = key
        super().__init__(column)


@compiles(json_flag, "sqlite")
def _json_flag_sqlite(element: json_flag, compiler: Any, **kw: Any) -> str:
    return f"json_extract({compiler.process(element.clauses, **kw)}, '$.{element.key}')"  # true -> 1, false -> 0


@compiles(json_flag, "postgresql")
def _json_flag_pg(element: json_flag, compiler: Any, **kw: Any) -> str:
    col = compiler.process(element.clauses, **kw)
    return f"(CASE ({col} ->> '{element.key}') WHEN 'true' THEN 1 WHEN 'false' THEN 0 END)"


class joined(FunctionElement[str]):  # noqa: N801
    """An aggregate: the group's texts joined by commas (in no particular order)."""

    type = String()
    inherit_cache = True


@compiles(joined, "sqlite")
def _joined_sqlite(element: joined, compiler: Any, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)}, ',')"


@compiles(joined, "postgresql")
def _joined_pg(element: joined, compiler: Any, **kw: Any) -> str:
    return f"string_agg({compiler.process(element.clauses, **kw)}, ',')"
