"""Tables of the surge watch: alerts the detector raised, and the notice admins write for customers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class SurgeAlert(Base):
    """One surge: from the first intent over its threshold until volume is back to normal."""

    __tablename__ = "surge_alerts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: uuid.uuid4().hex)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column()
    summary: Mapped[str] = mapped_column(Text, default="")
    # [{intent, kind, count, baseline, threshold, samples}], the drivers as last seen
    intents: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurgeNotice(Base):
    """What the bot tells every customer during a surge; written, replaced and cleared by admins (audited)."""

    __tablename__ = "surge_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cleared_by: Mapped[str | None] = mapped_column(String(64))
    cleared_at: Mapped[datetime | None] = mapped_column()
