"""Surge alerts move the Prometheus gauge and counter that /metrics exposes."""

from __future__ import annotations

from prometheus_client import REGISTRY

from core.events import EventBus, events
from insights.surge_watch import metrics_subscriber


def sample(name: str, **labels: str) -> float:
    value = REGISTRY.get_sample_value(name, labels)
    return 0.0 if value is None else value


def test_metrics_subscriber_sets_the_gauge_while_a_surge_lasts_and_counts_its_intents() -> None:
    bus = EventBus()
    metrics_subscriber(bus)
    before = sample("firstline_surge_alerts_total", intent="flight_cancelled")
    bus.emit(events.SURGE_STARTED, intents=[{"intent": "flight_cancelled", "count": 42, "baseline": 3}])
    assert sample("firstline_surge_active") == 1
    assert sample("firstline_surge_alerts_total", intent="flight_cancelled") == before + 1
    bus.emit(events.SURGE_UPDATED, intents=[{"intent": "flight_cancelled", "count": 50, "baseline": 3}])
    assert sample("firstline_surge_alerts_total", intent="flight_cancelled") == before + 1  # one alert, not two
    bus.emit(events.SURGE_ENDED, intents=[])
    assert sample("firstline_surge_active") == 0
