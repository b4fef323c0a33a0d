"""Working hours: is someone working now, and when is the next opening (for promised follow-ups)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def day_ranges(hours: Mapping[str, str]) -> dict[int, tuple[time, time]]:
    """Expand {"mon-fri": "08:00-18:00", "sat": "09:00-13:00"} to weekday -> (start, end)."""
    out: dict[int, tuple[time, time]] = {}
    for days, span in hours.items():
        start_s, _, end_s = str(span).partition("-")
        start, end = time.fromisoformat(start_s.strip()), time.fromisoformat(end_s.strip())
        first, _, last = days.lower().partition("-")
        a = DAYS.index(first.strip()[:3])
        b = DAYS.index((last or first).strip()[:3])
        for d in range(a, b + 1):
            out[d] = (start, end)
    return out


def is_working(hours: Mapping[str, str], tz: str, now: datetime) -> bool:
    """True when now falls in the working hours (no hours set means always available)."""
    if not hours:
        return True
    local = now.astimezone(ZoneInfo(tz))
    span = day_ranges(hours).get(local.weekday())
    return span is not None and span[0] <= local.time() < span[1]


def next_opening(hours: Mapping[str, str], tz: str, now: datetime) -> datetime | None:
    """Return the next moment (from now on) the hours begin, in UTC; None without hours."""
    if not hours:
        return None
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    ranges = day_ranges(hours)
    for offset in range(0, 8):
        day = (local + timedelta(days=offset)).date()
        span = ranges.get(day.weekday())
        if span is None:
            continue
        start = datetime.combine(day, span[0], zone)
        end = datetime.combine(day, span[1], zone)
        if offset == 0 and local >= end:
            continue
        return max(start, local).astimezone(ZoneInfo("UTC"))
    return None


def next_follow_up(now: datetime, schedules: Iterable[tuple[Mapping[str, str], str]], margin: timedelta) -> datetime:
    """Return when we can promise to get back: the earliest next opening among staff, plus a margin."""
    openings = [o for hours, tz in schedules if (o := next_opening(hours, tz, now)) is not None]
    base = min(openings) if openings else now + timedelta(hours=24)
    return base + margin


def describe(at: datetime, tz: str) -> str:
    """Return 'Tuesday 25 November, 09:30 (UK time)': the one format every customer-facing time uses."""
    from crm.customer_time import customer_time

    return customer_time(at, tz)
