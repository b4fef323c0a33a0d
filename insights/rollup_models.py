"""Tables of the dashboard's hourly rollups: counts and sums per UTC hour, never text or ids of people.

`dashboard_hours` holds one row per hour with every count and sum that has no dimension;
`dashboard_rollups` one count per (hour, handoff trigger) and (hour, NLU intent), labels the product
defines.
`dashboard_durations` holds every duration in seconds measured in an hour (time to a named person,
first response), so that medians and p90s over any range stay exact.
`dashboard_rollup_state` says up to which hour the rollups are complete; `dashboard_dirty_hours`
lists hours whose data changed since they were rolled up (read raw until the job recomputes them).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow

# A wide row per hour for the parts with no dimension: (figure part, its metric and column in Parts).
SCALARS: list[tuple[str, str, str]] = [
    ("conversations", "conversations", "n"), ("chats", "containment", "n"),
    ("contained", "containment.contained", "n"), ("ratings", "csat", "n"), ("rating_sum", "csat", "total"),
    ("rated_good", "csat.good", "n"), ("answers", "helpful", "n"), ("answers_rated", "helpful.rated", "n"),
    ("answers_yes", "helpful.yes", "n"), ("scored", "sentiment", "n"), ("sentiment_sum", "sentiment", "total"),
    ("negative", "sentiment.negative", "n"),
]


class HourRow(Base):
    """Every part without a dimension for one UTC hour, one column each (a year is 8,760 rows to sum)."""

    __tablename__ = "dashboard_hours"
    __table_args__ = {"sqlite_with_rowid": False}  # read in key order from the table itself (migration 0011)

    hour: Mapped[datetime] = mapped_column(primary_key=True)  # UTC, the start of the hour
    conversations: Mapped[int] = mapped_column(Integer, default=0)  # started
    chats: Mapped[int] = mapped_column(Integer, default=0)  # started, and the customer wrote
    contained: Mapped[int] = mapped_column(Integer, default=0)  # ... and no handoff
    ratings: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    rated_good: Mapped[int] = mapped_column(Integer, default=0)  # 4 or 5
    answers: Mapped[int] = mapped_column(Integer, default=0)  # kb_answer messages
    answers_rated: Mapped[int] = mapped_column(Integer, default=0)
    answers_yes: Mapped[int] = mapped_column(Integer, default=0)
    scored: Mapped[int] = mapped_column(Integer, default=0)  # customer messages with a sentiment score
    sentiment_sum: Mapped[float] = mapped_column(Float, default=0.0)
    negative: Mapped[int] = mapped_column(Integer, default=0)


class RollupRow(Base):
    """A count per UTC hour and label: handoffs per trigger, customer messages per intent."""

    __tablename__ = "dashboard_rollups"
    __table_args__ = (PrimaryKeyConstraint("metric", "hour", "dim"), {"sqlite_with_rowid": False})

    hour: Mapped[datetime] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)  # handoffs | intents
    dim: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class DurationRow(Base):
    """Every duration (seconds) one figure measured in one hour, as exact float reprs joined by commas.

    Numbers only. Packed, because a range of 100,000 chats holds ~40,000 durations: one row each
    cost more to read than the raw query they replace."""

    __tablename__ = "dashboard_durations"
    __table_args__ = {"sqlite_with_rowid": False}

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
    __table_args__ = {"sqlite_with_rowid": False}

    hour: Mapped[datetime] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(Integer, primary_key=True)
