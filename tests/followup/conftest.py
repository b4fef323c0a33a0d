"""A controllable clock, a team (owner Tom, lead Grace) and schedulers built on the test database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.db import Database
from core.events import Event, EventBus
from crm import TeamLead
from followup import FollowUpSettings, PromiseScheduler, start_followups
from tests import factories

# Thursday evening, after everyone's hours, years ahead of the real clock: no job fires by itself.
EVENING = datetime(2030, 12, 5, 21, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = EVENING

    def __call__(self) -> datetime:
        return self.now

    def advance_to(self, at: datetime) -> None:
        self.now = at

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class Recorder:
    events: list[Event] = field(default_factory=list)

    def __call__(self, e: Event) -> None:
        self.events.append(e)

    def named(self, name: str) -> list[Event]:
        return [e for e in self.events if e.name == name]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def team(db: Database) -> dict[str, int]:
    """Tom (Technical Support, 12-20 London) owns promises; Grace (13-21) leads every team. Both offline."""
    with db.session() as s:
        tom = factories.agent(s, "tom", display_name="Tom Okafor", team="Technical Support", status="offline",
                              working_hours={"mon-fri": "12:00-20:00"}, timezone="Europe/London")
        grace = factories.agent(s, "grace", display_name="Grace Whitfield", team="Senior Support", status="offline",
                                working_hours={"mon-fri": "13:00-21:00"}, timezone="Europe/London")
        s.add(TeamLead(team="*", agent_id=grace.id))
        return {"tom": tom.id, "grace": grace.id}


class Schedulers:
    """Start, stop and restart schedulers on one database, as app processes would."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock
        self.running: list[PromiseScheduler] = []

    def start(self, bus: EventBus, mailer: Any = None, **settings: Any) -> PromiseScheduler:
        sched = start_followups(self.db, bus, mailer=mailer, clock=self.clock,
                                settings=FollowUpSettings(**settings))
        self.running.append(sched)
        return sched

    def stop(self, sched: PromiseScheduler) -> None:
        sched.shutdown()
        self.running.remove(sched)

    def stop_all(self) -> None:
        for sched in list(self.running):
            self.stop(sched)


@pytest.fixture
def schedulers(db: Database, clock: Clock) -> Iterator[Schedulers]:
    made = Schedulers(db, clock)
    yield made
    made.stop_all()
