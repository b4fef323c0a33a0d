"""Scheduler lag at due time: promises due a few seconds ahead, run by the real APScheduler on the real clock.

Lag = when the due step ran (recorded on the case) minus the promised time. Prints figures and the machine.
Usage: python -m bench.followup_lag [--promises 40] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.db import Database
from core.events import EventBus
from core.machine import machine
from crm import Agent, FollowUpAttempt, migrate, store
from followup import FollowUpSettings, PromiseIn, make_promise, start_followups


def run(url: str, promises: int) -> list[float]:
    db = Database(url)
    migrate(db)
    bus = EventBus()
    sched = start_followups(db, bus, settings=FollowUpSettings())
    try:
        with db.session() as s:
            agent = Agent(username=f"bench-{time.time_ns()}", display_name="Bench Agent", password_hash="x",
                          role="agent", skills=[], languages=["en"], working_hours={})
            s.add(agent)
            s.flush()
            start = datetime.now(UTC) + timedelta(seconds=3)
            for i in range(promises):
                customer = store.get_or_create_customer(s, None, name=f"Bench {i}")
                conv = store.start_conversation(s, customer)
                make_promise(s, bus, conv, agent, PromiseIn("bench", start + timedelta(milliseconds=250 * i),
                                                            "widget"), datetime.now(UTC))
            first_case_conv = conv.id
        deadline = time.monotonic() + 3 + promises * 0.25 + 30
        while time.monotonic() < deadline:
            with db.session() as s:
                rows = s.scalars(select(FollowUpAttempt).where(FollowUpAttempt.kind == "escalation",
                                                               FollowUpAttempt.due_at >= start)).all()
                if len(rows) >= promises:
                    return [(r.at - r.due_at).total_seconds() * 1000 for r in rows if r.due_at]
            time.sleep(0.5)
        raise SystemExit(f"only some due steps ran (conversation {first_case_conv})")
    finally:
        sched.shutdown()
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--promises", type=int, default=40)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/lag.db"
    lags = sorted(run(url, args.promises))
    p95 = lags[max(0, round(0.95 * len(lags)) - 1)]
    print(f"scheduler lag at due time ({len(lags)} promises, {url.split(':')[0]}): "
          f"p50 {statistics.median(lags):.1f} ms, p95 {p95:.1f} ms, max {lags[-1]:.1f} ms")
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
