"""The surge detector in the app: fed by events, re-checked by a timer, announcing alerts once.

On start it takes over an alert left open before a restart and replays the last window from the
messages table, so a restart in the middle of a storm neither forgets it nor raises it again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.db import Database, utcnow
from core.events import Event, EventBus, events
from crm import Message, Sender
from insights.surge import Alert, SurgeDetector, Transition
from insights.surge_settings import SurgeSettings
from insights.surge_store import database_baselines, open_alert, replay_window, save_alert

log = logging.getLogger(__name__)

EVENT_OF = {"started": events.SURGE_STARTED, "updated": events.SURGE_UPDATED, "ended": events.SURGE_ENDED}
Notify = Callable[[str, dict[str, Any]], Any]  # (event name, payload) -> a delivery; e.g. WebhookSender.send


class SurgeWatch:
    def __init__(self, db: Database, bus: EventBus, settings: SurgeSettings | None = None, *,
                 notify: Notify | None = None, clock: Callable[[], datetime] = utcnow,
                 detector: SurgeDetector | None = None) -> None:
        self.db, self.bus = db, bus
        self.s = settings or SurgeSettings()
        self.clock = clock
        self.notify = notify
        self.detector = detector or SurgeDetector(self.s, database_baselines(db, self.s))
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="surge-webhook") if notify else None
        self.deliveries: list[Any] = []  # webhook results, newest last (kept short)

    @property
    def active(self) -> Alert | None:
        return self.detector.active

    def start(self, *, ticker: bool = True) -> None:
        """Restore, replay, subscribe, and (in the app) start the timer."""
        now = self.clock()
        with self.db.session() as s:
            restored = open_alert(s, self.s)
            replay_window(s, self.detector, now, self.s)  # transitions while replaying are not news
        if restored is not None:
            # Still the same storm: the first tick re-counts it against the replayed window, or ends it.
            self.detector.restore(restored)
        elif self.detector.active is not None:
            self._announce(Transition("started", self.detector.active))
        self.bus.on(events.MESSAGE_CREATED, self.on_message)
        self.bus.on(events.CONVERSATION_QUEUED, self.on_handoff)
        if ticker and self.s.tick_seconds > 0:
            threading.Thread(target=self._run_ticker, name="surge-ticker", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        if self._sender is not None:
            self._sender.shutdown(wait=True)

    def on_message(self, event: Event) -> None:
        if event.data.get("sender") != Sender.CUSTOMER or not event.conversation_id:
            return
        # The event is the public view of the message: the intent is read back by primary key.
        # A bare connection, not an ORM session: this runs on every customer message.
        with self.db.engine.connect() as c:
            intent = c.execute(select(Message.intent).where(Message.id == event.data.get("id"))).scalar()
        with self._lock:
            self._announce(self.detector.observe_message(event.conversation_id, intent,
                                                         str(event.data.get("text") or ""), self.clock()))

    def on_handoff(self, event: Event) -> None:
        if event.conversation_id:
            with self._lock:
                self._announce(self.detector.observe_handoff(event.conversation_id, None, self.clock()))

    def tick(self) -> None:
        with self._lock:
            self._announce(self.detector.tick(self.clock()))

    def _run_ticker(self) -> None:
        while not self._stop.wait(self.s.tick_seconds):
            try:
                self.tick()
            except Exception:  # the timer must outlive one failed check
                log.exception("surge check failed")

    def _announce(self, t: Transition | None) -> None:
        if t is None:
            return
        with self.db.session() as s:
            save_alert(s, t.alert)
        data = t.alert.as_dict()
        if t.kind != "updated":
            log.warning("surge %s: %s", t.kind, t.alert.summary)
        self.bus.emit(EVENT_OF[t.kind], None, **data)
        if self._sender is not None and self.notify is not None and t.kind in ("started", "ended"):
            self._sender.submit(self._deliver, EVENT_OF[t.kind], data)

    def _deliver(self, name: str, data: dict[str, Any]) -> None:
        assert self.notify is not None
        try:
            result = self.notify(name, data)
        except Exception as exc:  # WebhookSender never raises; another notifier might
            log.exception("surge webhook failed")
            result = exc
        if getattr(result, "ok", True) is False:
            log.warning("surge webhook not delivered: %s", getattr(result, "error", result))
        self.deliveries = [*self.deliveries[-9:], result]


def metrics_subscriber(bus: EventBus) -> None:
    """Keep Prometheus' surge gauge and counter (core/metrics.py) in step with the alerts."""
    from core.metrics import SURGE_ACTIVE, SURGE_ALERTS

    def update(event: Event) -> None:
        SURGE_ACTIVE.set(0 if event.name == events.SURGE_ENDED else 1)
        if event.name == events.SURGE_STARTED:
            for d in event.data.get("intents") or []:
                SURGE_ALERTS.labels(intent=d["intent"]).inc()

    for name in (events.SURGE_STARTED, events.SURGE_UPDATED, events.SURGE_ENDED):
        bus.on(name, update)
