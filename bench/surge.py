"""Cost of surge detection per customer message: the detector alone, and the app's subscriber (+ intent read).

python -m bench.surge [--messages N]  (prints figures and the machine; nothing is asserted)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.db import Database
from core.events import Event, EventBus, events
from core.machine import machine
from crm import Sender, migrate, store
from insights.surge import SurgeDetector
from insights.surge_settings import SurgeSettings
from insights.surge_watch import SurgeWatch

INTENTS = [f"intent_{i}" for i in range(40)]


def detector_only(n: int) -> list[float]:
    s = SurgeSettings(_env_file=None)  # type: ignore[call-arg]
    d = SurgeDetector(s, lambda now: {})
    t0, rng, out = datetime(2026, 12, 3, tzinfo=UTC), random.Random(1), []
    for i in range(n):
        at = t0 + timedelta(seconds=i * 0.5)  # 120 messages a minute, spread over 40 topics
        start = time.perf_counter()
        d.observe_message(f"c{i % 5000}", rng.choice(INTENTS), "my flight is cancelled", at)
        out.append(time.perf_counter() - start)
    return out


def with_subscriber(n: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate(db)
        s = SurgeSettings(_env_file=None, tick_seconds=0)  # type: ignore[call-arg]
        watch = SurgeWatch(db, EventBus(), s)
        watch.start(ticker=False)
        rng, evs = random.Random(2), []
        with db.session() as session:
            customer = store.get_or_create_customer(session, None)
            conv = store.start_conversation(session, customer)
            for _ in range(n):
                m, _ = store.add_message(session, conv, Sender.CUSTOMER, "my flight is cancelled",
                                         parse={"intent": {"name": rng.choice(INTENTS)}})
                evs.append(Event(events.MESSAGE_CREATED, store.message_dict(m), conversation_id=conv.id))
        out = []
        for e in evs:
            start = time.perf_counter()
            watch.on_message(e)
            out.append(time.perf_counter() - start)
        db.dispose()
        return out


def report(name: str, xs: list[float]) -> None:
    xs = sorted(xs)
    p = lambda q: xs[min(len(xs) - 1, int(q * len(xs)))] * 1e6  # noqa: E731
    print(f"{name}: n={len(xs)} mean {statistics.mean(xs) * 1e6:.1f} us, p50 {p(0.5):.1f} us, "
          f"p95 {p(0.95):.1f} us, p99 {p(0.99):.1f} us")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=100_000)
    args = ap.parse_args()
    print(machine(), "| load average", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    report("detector.observe_message", detector_only(args.messages))
    report("SurgeWatch.on_message (SQLite intent read + detector)", with_subscriber(min(args.messages, 20_000)))


if __name__ == "__main__":
    main()
