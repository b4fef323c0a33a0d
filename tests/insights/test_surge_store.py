"""Surge baselines from the messages table, alerts that survive a restart, and the signed admin webhook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.db import Database
from core.events import EventBus, events
from crm import Message, Sender, store
from insights.models import SurgeAlert
from insights.surge import CONVERSATIONS, MESSAGES
from insights.surge_settings import SurgeSettings
from insights.surge_store import baselines
from insights.surge_watch import SurgeWatch
from outbound import WebhookSender
from tests import factories
from tests.outbound.servers import http_sink

NOW = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
S = SurgeSettings(_env_file=None, tick_seconds=0)  # type: ignore[call-arg]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def seed(db: Database, intent: str, at: datetime, n: int, text: str = "my flight is cancelled") -> None:
    """n customer messages about intent at `at`, each in its own conversation (stored as the loop stores them)."""
    with db.session() as s:
        for i in range(n):
            conv = factories.conversation(s)
            m, _ = store.add_message(s, conv, Sender.CUSTOMER, f"{text} {i}", parse={"intent": {"name": intent}})
            m.created_at = at


def test_baselines_are_the_median_of_the_same_hour_over_past_days_scaled_to_the_window(db: Database) -> None:
    seed(db, "outage", NOW - timedelta(days=15), 1)  # the tenant's first message: 14 full days of history
    for day in range(1, 15):
        # 18 an hour at this time of day (3 per 10 minutes), and one storm day the median ignores
        seed(db, "outage", NOW - timedelta(days=day, minutes=10), 600 if day == 2 else 18)
        seed(db, "outage", NOW - timedelta(days=day, hours=3), 50)  # another time of day: not counted
    with db.session() as s:
        b = baselines(s, NOW, S)
    assert b[(MESSAGES, "outage")].mean == 3.0 and b[(CONVERSATIONS, "outage")].mean == 3.0
    assert b[(MESSAGES, "outage")].deviation == 0.0


def test_baselines_count_only_days_since_the_tenant_went_live(db: Database) -> None:
    seed(db, "outage", NOW - timedelta(days=1, minutes=40), 1)  # live since just before yesterday's hour
    seed(db, "outage", NOW - timedelta(days=1, minutes=5), 60)
    with db.session() as s:
        b = baselines(s, NOW, S)
    assert b[(MESSAGES, "outage")].mean == 10.0  # one day of history, not 60 spread over 14 days


def test_watch_with_a_normal_busy_hour_in_history_raises_nothing_for_the_same_volume(db: Database) -> None:
    for day in range(1, 8):
        seed(db, "outage", NOW - timedelta(days=day, minutes=20), 120)  # 20 per 10 minutes is normal here
    bus, clock = EventBus(), Clock(NOW)
    watch = SurgeWatch(db, bus, S, clock=clock)
    watch.start(ticker=False)
    seen: list[str] = []
    bus.on(None, lambda e: seen.append(e.name) if e.name.startswith("surge.") else None)
    for i in range(20):
        clock.now = NOW + timedelta(seconds=25 * i)
        seed(db, "outage", clock.now, 1)
        with db.session() as s:
            m = s.query(Message).order_by(Message.id.desc()).first()
            assert m is not None
            watch.on_message(_event(m))
    assert seen == [] and watch.active is None


def _event(m: Message):  # type: ignore[no-untyped-def]
    from core.events import Event

    return Event(events.MESSAGE_CREATED, store.message_dict(m), conversation_id=m.conversation_id)


def storm(db: Database, bus: EventBus, watch: SurgeWatch, clock: Clock, n: int = 15) -> None:
    for i in range(n):
        clock.now = NOW + timedelta(seconds=20 * i)
        seed(db, "outage", clock.now, 1, f"no internet in Leeds, {i} x")
        with db.session() as s:
            m = s.query(Message).order_by(Message.id.desc()).first()
            assert m is not None
            watch.on_message(_event(m))


def test_watch_alert_survives_a_restart_without_being_raised_twice_then_clears(db: Database) -> None:
    bus, clock = EventBus(), Clock(NOW)
    seen: list[tuple[str, str]] = []
    bus.on(None, lambda e: seen.append((e.name, e.data.get("summary", ""))) if e.name.startswith("surge.") else None)
    first = SurgeWatch(db, bus, S, clock=clock)
    first.start(ticker=False)
    storm(db, bus, first, clock)
    assert [n for n, _ in seen if n != events.SURGE_UPDATED] == [events.SURGE_STARTED]
    assert seen[0][1].startswith("outage: 10 ")
    alert_id = first.active.id if first.active else None

    # The app restarts a minute later, mid-storm: the open alert is taken over and the window replayed.
    seen.clear()
    clock.now += timedelta(minutes=1)
    second = SurgeWatch(db, bus, S, clock=clock)
    second.start(ticker=False)
    assert second.active is not None and second.active.id == alert_id
    assert [n for n, _ in seen] == []
    second.tick()
    assert second.active is not None and second.active.drivers["outage"].count == 15

    clock.now += timedelta(minutes=15)  # volume back to normal: the window is empty
    second.tick()
    assert [n for n, _ in seen][-1] == events.SURGE_ENDED and second.active is None
    with db.session() as s:
        row = s.get(SurgeAlert, alert_id)
        assert row is not None and row.ended_at == clock.now
        assert row.intents[0]["intent"] == "outage" and row.intents[0]["samples"]


def test_watch_sends_one_signed_alert_to_the_admin_webhook_when_a_surge_starts_and_ends(db: Database) -> None:
    bus, clock = EventBus(), Clock(NOW)
    with http_sink("admin-hook-secret") as sink:
        sender = WebhookSender(sink.url, "admin-hook-secret", sleep=lambda s: None)
        watch = SurgeWatch(db, bus, S, clock=clock, notify=sender.send)
        watch.start(ticker=False)
        storm(db, bus, watch, clock)
        clock.now += timedelta(minutes=30)
        watch.tick()
        watch.stop()  # waits for the background sends
    assert [r.headers["x-firstline-event"] for r in sink.requests] == ["surge.started", "surge.ended"]
    assert all(r.signature_ok for r in sink.requests)
    started = sink.requests[0].json()["data"]
    assert started["intents"][0]["intent"] == "outage"
    assert started["summary"] == "outage: 10 messages in 10 min, baseline 0"
    assert started["intents"][0]["samples"] == [f"no internet in Leeds, {i} x 0" for i in (7, 8, 9)]
    assert all(d.ok for d in watch.deliveries)
