"""Tables of the dashboard's hourly rollups: counts and sums per UTC hour, never text or ids of people.

`dashboard_rollups` holds one row per (hour, metric, dimension) with a count and a sum; the
dimension is a handoff trigger or an NLU intent name (labels the product defines), or ''.
`dashboard_durations` holds every duration in seconds measured in an hour (time to a named person,
first response), so that medians and p90s over any range stay exact.
`dashboard_rollup_state` says up to which hour the rollups are complete; `dashboard_dirty_hours`
lists hours whose data changed since they were rolled up (read raw until the job recomputes them).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class RollupRow(Base):
    __tablename__ = "dashboard_rollups"

    hour: Mapped[datetime] = mapped_column(primary_key=True)  # UTC, the start of the hour
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    dim: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    n: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)


class DurationRow(Base):
    """Every duration (seconds) one figure measured in one hour, as exact float reprs joined by commas.

    Numbers only. Packed, because a range of 100,000 chats holds ~40,000 durations: one row each
    cost more to read than the raw query they replace."""

    __tablename__ = "dashboard_durations"

    hour: Mapped[datetime] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[str] = mapped_column(Text, default="")


class RollupState(Base):
    __tablename__ = "dashboard_rollup_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    through: Mapped[datetime | None] = mapped_column()  # every hour before this one is rolled up
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DirtyHour(Base):
    """An hour whose rollup is stale. Insert-only (no upsert), so the job deletes exactly the rows it saw
    and a change committed while it worked stays marked."""

    __tablename__ = "dashboard_dirty_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hour: Mapped[datetime] = mapped_column(index=True)


class UnansweredRow(Base):
    """A customer question the bot failed to answer, by the hour of the failed answer: a pointer, never text.

    Its text is read from messages when the figure is drawn, so an erased message counts nothing even
    before its hour is recomputed."""

    __tablename__ = "dashboard_unanswered"

    hour: Mapped[datetime] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(Integer, primary_key=True)
