"""Surge detection: volume per topic in a sliding window against a baseline, one alert per storm.

Plain and in memory: the detector is fed every customer message and handoff (O(1) amortised each)
and re-checks everything once per bucket (a minute). Baselines come from a provider (the database
in the app, see insights/surge_store.py), so the detector itself never touches storage.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from core.redaction import redact
from insights.surge_settings import SurgeSettings

MESSAGES, CONVERSATIONS, HANDOFFS = "messages", "conversations", "handoffs"
KINDS = (MESSAGES, CONVERSATIONS, HANDOFFS)
Key = tuple[str, str]  # (kind, intent)


@dataclass(frozen=True)
class Baseline:
    """Expected count of one kind and intent in one window at this time of day, and its spread."""

    mean: float = 0.0
    deviation: float = 0.0


def threshold(baseline: Baseline, s: SurgeSettings) -> float:
    """Return the count at which a window is a surge: well above the baseline and never below the minimum.

    The spread is at least Poisson's (sqrt of the mean) and at least 1, so a topic that is usually
    silent does not surge on its second message.
    """
    spread = max(baseline.deviation, math.sqrt(baseline.mean), 1.0)
    return max(float(s.min_count), baseline.mean * s.ratio, baseline.mean + s.sigmas * spread)


def sample_text(text: str) -> str:
    """A customer message as a surge sample: one line, personal data masked, at most 160 characters."""
    return redact(" ".join(text.split()))[:160]


@dataclass
class Driver:
    """One intent driving a surge: its count in the window, what was expected, and what customers wrote."""

    intent: str
    kind: str
    count: int
    baseline: float
    threshold: float
    samples: list[str] = field(default_factory=list)

    def describe(self, window_minutes: int) -> str:
        return f"{self.intent}: {self.count} {self.kind} in {window_minutes} min, baseline {self.baseline:.0f}"

    def as_dict(self) -> dict[str, object]:
        return {"intent": self.intent, "kind": self.kind, "count": self.count, "baseline": round(self.baseline, 1),
                "threshold": round(self.threshold, 1), "samples": list(self.samples)}


@dataclass
class Alert:
    id: str
    started_at: datetime
    drivers: dict[str, Driver]
    window_minutes: int
    ended_at: datetime | None = None

    @property
    def summary(self) -> str:
        ranked = sorted(self.drivers.values(), key=lambda d: -d.count)
        return "; ".join(d.describe(self.window_minutes) for d in ranked)

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "started_at": self.started_at.isoformat(),
                "ended_at": self.ended_at.isoformat() if self.ended_at else None, "summary": self.summary,
                "window_minutes": self.window_minutes,
                "intents": [d.as_dict() for d in sorted(self.drivers.values(), key=lambda d: -d.count)]}


@dataclass(frozen=True)
class Transition:
    """What changed: 'started', 'updated' (drivers or counts changed) or 'ended'."""

    kind: str
    alert: Alert


class SlidingCounts:
    """Counts per key over the last window, kept in fixed buckets: adding is O(1), expiry amortised O(1)."""

    def __init__(self, window_seconds: int, bucket_seconds: int) -> None:
        self.bucket_seconds = bucket_seconds
        self.buckets_per_window = max(1, window_seconds // bucket_seconds)
        self._buckets: deque[tuple[int, Counter[Key]]] = deque()
        self.totals: Counter[Key] = Counter()

    def bucket_of(self, ts: float) -> int:
        return int(ts // self.bucket_seconds)

    def advance(self, ts: float) -> None:
        """Forget buckets that have left the window ending at ts."""
        oldest = self.bucket_of(ts) - self.buckets_per_window + 1
        while self._buckets and self._buckets[0][0] < oldest:
            _, gone = self._buckets.popleft()
            self.totals.subtract(gone)
            for k in gone:
                if self.totals[k] <= 0:
                    del self.totals[k]

    def add(self, key: Key, ts: float) -> int:
        """Count one event at ts; return the key's count in the window."""
        b = self.bucket_of(ts)
        if not self._buckets or self._buckets[-1][0] < b:
            self._buckets.append((b, Counter()))
        # An event older than the newest bucket (clock skew between threads) counts in the newest.
        self._buckets[-1][1][key] += 1
        self.totals[key] += 1
        return self.totals[key]


BaselineProvider = Callable[[datetime], dict[Key, Baseline]]


class SurgeDetector:
    """Raise one alert while any topic's volume is well above its baseline; clear it when volume returns.

    Thread-safe: the app feeds it from request threads and ticks it from a timer.
    """

    def __init__(self, settings: SurgeSettings, baselines: BaselineProvider,
                 new_id: Callable[[], str] | None = None) -> None:
        import uuid

        self.s = settings
        self._baselines_of = baselines
        self._new_id = new_id or (lambda: uuid.uuid4().hex)
        self._counts = SlidingCounts(settings.window_minutes * 60, settings.bucket_seconds)
        self._lock = threading.Lock()
        self._baselines: dict[Key, Baseline] = {}
        self._thresholds: dict[Key, float] = {}
        self._baselines_at = -math.inf
        self._seen_conv: dict[tuple[str, str], float] = {}  # (intent, conversation) -> when counted
        self._topic: dict[str, tuple[str, float]] = {}  # conversation -> (latest topic intent, when)
        self._samples: dict[str, deque[tuple[float, str]]] = {}
        self._bucket = -1
        self.active: Alert | None = None

    def forget(self, texts: Iterable[str]) -> int:
        """Drop samples that are one of these customer messages (an erased customer's); return how many."""
        gone = {sample_text(t) for t in texts}
        removed = 0
        with self._lock:
            for intent, samples in self._samples.items():
                kept = deque(((ts, s) for ts, s in samples if s not in gone), maxlen=samples.maxlen)
                removed += len(samples) - len(kept)
                self._samples[intent] = kept
            for driver in self.active.drivers.values() if self.active is not None else ():
                kept_samples = [s for s in driver.samples if s not in gone]
                removed += len(driver.samples) - len(kept_samples)
                driver.samples = kept_samples
        return removed

    def holding(self, texts: Iterable[str]) -> int:
        """How many samples are one of these customer messages."""
        gone = {sample_text(t) for t in texts}
        with self._lock:
            held = sum(1 for samples in self._samples.values() for _, s in samples if s in gone)
            drivers = self.active.drivers.values() if self.active is not None else ()
            return held + sum(1 for driver in drivers for s in driver.samples if s in gone)

    def clear(self) -> None:
        """Drop every sample (counts stay): a worker that may have missed an erasure keeps none."""
        with self._lock:
            self._samples = {}
            for driver in self.active.drivers.values() if self.active is not None else ():
                driver.samples = []

    # -- feeding --------------------------------------------------------------------------------
    def observe_message(self, conversation_id: str, intent: str | None, text: str, at: datetime) -> Transition | None:
        """Count a customer message (and its conversation, once per window) under its intent."""
        if not intent or intent in self.s.ignored_intents:
            return None
        ts = at.timestamp()
        with self._lock:
            roll = self._roll(at)
            self._topic[conversation_id] = (intent, ts)
            samples = self._samples.setdefault(intent, deque(maxlen=self.s.samples))
            samples.append((ts, sample_text(text)))  # shown to staff and sent to the admin webhook
            hits = [(MESSAGES, self._counts.add((MESSAGES, intent), ts))]
            seen = self._seen_conv.get((intent, conversation_id))
            if seen is None or ts - seen >= self.s.window_minutes * 60:
                self._seen_conv[(intent, conversation_id)] = ts
                hits.append((CONVERSATIONS, self._counts.add((CONVERSATIONS, intent), ts)))
            return self._check(intent, hits, at) or roll

    def observe_handoff(self, conversation_id: str, intent: str | None, at: datetime) -> Transition | None:
        """Count a handoff under the conversation's topic (the intent given, else the last one seen)."""
        ts = at.timestamp()
        with self._lock:
            roll = self._roll(at)
            if not intent:
                known = self._topic.get(conversation_id)
                intent = known[0] if known else None
            if not intent or intent in self.s.ignored_intents:
                return roll
            return self._check(intent, [(HANDOFFS, self._counts.add((HANDOFFS, intent), ts))], at) or roll

    def tick(self, now: datetime) -> Transition | None:
        """Re-check every topic (the timer calls this, so an alert clears even when traffic stops)."""
        with self._lock:
            return self._roll(now, force=True)

    def restore(self, alert: Alert | None) -> None:
        """Take over an alert that was open before a restart, so it is not raised twice."""
        with self._lock:
            self.active = alert

    # -- inside the lock ------------------------------------------------------------------------
    def _threshold(self, key: Key) -> float:
        t = self._thresholds.get(key)
        if t is None:
            t = self._thresholds[key] = threshold(self._baselines.get(key, Baseline()), self.s)
        return t

    def _refresh_baselines(self, now: datetime) -> None:
        ts = now.timestamp()
        if ts - self._baselines_at < self.s.baseline_refresh_minutes * 60:
            return
        self._baselines_at = ts
        self._baselines = dict(self._baselines_of(now))
        self._thresholds = {}

    def _check(self, intent: str, hits: Iterable[tuple[str, int]], now: datetime) -> Transition | None:
        """After counting: does this intent start a surge or join the one running? O(1)."""
        if self.active is not None and intent in self.active.drivers:
            return None  # counts are refreshed once per bucket, not per message
        for kind, count in hits:
            if count >= self._threshold((kind, intent)) and self._enough_people(intent):
                driver = self._driver(intent, kind, now)
                if self.active is None:
                    self.active = Alert(self._new_id(), now, {intent: driver}, self.s.window_minutes)
                    return Transition("started", self.active)
                self.active.drivers[intent] = driver
                return Transition("updated", self.active)
        return None

    def _enough_people(self, intent: str) -> bool:
        # One customer typing forty times is not a storm.
        return self._counts.totals[(CONVERSATIONS, intent)] >= self.s.min_conversations

    def _driver(self, intent: str, kind: str, now: datetime) -> Driver:
        key = (kind, intent)
        since = now.timestamp() - self.s.window_minutes * 60
        samples = [t for ts, t in self._samples.get(intent, ()) if ts >= since]
        return Driver(intent, kind, self._counts.totals[key], self._baselines.get(key, Baseline()).mean,
                      self._threshold(key), samples)

    def _roll(self, now: datetime, force: bool = False) -> Transition | None:
        """Once per bucket (or when forced): expire old counts, refresh baselines, update or end the alert."""
        ts = now.timestamp()
        bucket = self._counts.bucket_of(ts)
        if bucket <= self._bucket and not force:
            return None
        self._bucket = max(bucket, self._bucket)
        self._counts.advance(ts)
        self._refresh_baselines(now)
        self._forget(ts)
        if self.active is None:
            return self._start_from_totals(now)
        return self._reassess(now)

    def _start_from_totals(self, now: datetime) -> Transition | None:
        # A restart or a new baseline can reveal a surge that no single message tipped over.
        for (kind, intent), count in list(self._counts.totals.items()):
            started = self._check(intent, [(kind, count)], now)
            if started is not None:
                self._reassess(now)  # pick up every other intent over its threshold too
                return Transition("started", started.alert)
        return None

    def _reassess(self, now: datetime) -> Transition | None:
        alert = self.active
        assert alert is not None
        before = alert.summary
        for intent in list(alert.drivers):
            best = max(KINDS, key=lambda k: self._counts.totals[(k, intent)] / self._threshold((k, intent)))
            level = self._counts.totals[(best, intent)] / self._threshold((best, intent))
            if level < self.s.clear_ratio:
                del alert.drivers[intent]
            else:
                alert.drivers[intent] = self._driver(intent, best, now)
        for (kind, intent), count in list(self._counts.totals.items()):
            if intent not in alert.drivers and count >= self._threshold((kind, intent)) and self._enough_people(intent):
                alert.drivers[intent] = self._driver(intent, kind, now)
        if not alert.drivers:
            alert.ended_at = now
            self.active = None
            return Transition("ended", alert)
        return Transition("updated", alert) if alert.summary != before else None

    def _forget(self, ts: float) -> None:
        horizon = ts - self.s.window_minutes * 60
        if len(self._seen_conv) > 0:
            self._seen_conv = {k: v for k, v in self._seen_conv.items() if v >= horizon}
        topic_horizon = ts - self.s.topic_memory_minutes * 60
        self._topic = {k: v for k, v in self._topic.items() if v[1] >= topic_horizon}
