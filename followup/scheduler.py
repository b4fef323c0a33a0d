"""The persistent scheduler: APScheduler 3 with its SQLAlchemy job store in the app's own database.

Jobs live in the table `followup_jobs` and survive a restart. Each job names a step of
followup.service.FollowUps by a plain function reference and ids, so a job stored by one process
can run in another. Steps claim their work with a database compare-and-set: run twice, they act once.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from core.db import Database, utcnow
from core.events import Event, EventBus, events
from followup.service import FollowUps

log = logging.getLogger(__name__)

JOB_TABLE = "followup_jobs"
_service: FollowUps | None = None  # the steps that stored jobs call in this process


def run_step(step: str, ident: int, version: int = 0, due: str | None = None) -> str:
    """The one job function every stored follow-up job refers to."""
    if _service is None:
        raise RuntimeError("the follow-up scheduler is not started in this process")
    due_at = datetime.fromisoformat(due) if due else None
    if step == "remind":
        return _service.remind(ident, version, due_at)
    if step == "due":
        return _service.due(ident, version, due_at)
    if step == "deliver":
        return _service.deliver(ident)
    raise ValueError(f"unknown follow-up step {step!r}")


class PromiseScheduler:
    """Plans and runs follow-up jobs; one per process (start, shutdown)."""

    def __init__(self, service: FollowUps, db: Database, *, run_jobs: bool = True) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        self.service, self.run_jobs = service, run_jobs
        self._engine = _jobs_engine(db)
        self._sched = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self._engine, tablename=JOB_TABLE),
                       "local": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(4)},
            # Run a job however late (the app was down at its time), once, even if several runs were missed.
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone=UTC,
        )
        self._done: dict[str, threading.Event] = {}
        self._running = 0
        self._lock = threading.Lock()
        self.lock: Any = None  # the runner lock, released at shutdown
        service.plan_delivery = self.deliver_at

    # -- life cycle -------------------------------------------------------------------------------

    def start(self) -> None:
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_SUBMITTED

        global _service
        if self.run_jobs:  # only the process that runs jobs lends them its steps
            _service = self.service
        self._sched.add_listener(self._finished, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        self._sched.add_listener(self._submitted, EVENT_JOB_SUBMITTED)
        self._sched.start(paused=not self.run_jobs)
        if self.run_jobs:
            # The wake-up job below would log two INFO lines a minute; our steps log what matters.
            logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
            # Jobs another process stored wake this one within a minute (it runs them for everyone).
            self._sched.add_job(_noop, "interval", seconds=60, id="followup-wakeup", jobstore="local",
                                replace_existing=True)

    def every(self, job_id: str, seconds: int, fn: Any) -> bool:
        """Run fn every `seconds` in the process that runs jobs (not stored: each start adds it); return
        whether this process runs it. Other packages' periodic chores (the dashboard rollups) use this."""
        if not self.run_jobs:
            return False
        self._sched.add_job(fn, "interval", seconds=seconds, id=job_id, jobstore="local", replace_existing=True,
                            next_run_time=utcnow())
        return True

    def shutdown(self) -> None:
        global _service
        if self._sched.running:
            self._sched.shutdown(wait=True)
        # The job store disposed its pool before the scheduler thread stopped; a read that thread made
        # in between left a connection in the new pool.
        self._engine.dispose()
        if _service is self.service:
            _service = None
        if self.lock is not None:
            self.lock.release()

    def register(self, bus: EventBus) -> None:
        """Subscribe to the events that create or change promises."""
        bus.on(events.CASE_PROMISED, self._on_promised)
        bus.on(events.CASE_OPENED, self._on_case_opened)
        bus.on(events.FOLLOWUP_ATTEMPTED, self._on_attempt)

    # -- planning ---------------------------------------------------------------------------------

    def plan(self, case_id: int, version: int, due: datetime) -> None:
        """Store the reminder (when there is time for one) and the due-time job of one promise."""
        remind_at = due - timedelta(minutes=self.service.settings.remind_before_minutes)
        if version > 1:  # the previous promise's jobs would only be skipped: drop them
            for step in ("remind", "due"):
                self._remove(f"promise:{case_id}:{version - 1}:{step}")
        if remind_at > self.service.clock():
            self._add(f"promise:{case_id}:{version}:remind", remind_at, "remind", case_id, version)
        self._add(f"promise:{case_id}:{version}:due", due, "due", case_id, version)

    def deliver_at(self, attempt_id: int, at: datetime | None = None) -> None:
        self._add(f"deliver:{attempt_id}", at or utcnow(), "deliver", attempt_id, 0)

    def _add(self, job_id: str, at: datetime, step: str, ident: int, version: int) -> None:
        self._sched.add_job(run_step, "date", run_date=at, id=job_id, replace_existing=True,
                            args=[step, ident, version, at.isoformat()])

    def _remove(self, job_id: str) -> None:
        from apscheduler.jobstores.base import JobLookupError

        try:
            self._sched.remove_job(job_id)
        except JobLookupError:
            pass

    def _on_promised(self, e: Event) -> None:
        if e.data.get("due"):
            self.plan(int(e.data["case_id"]), int(e.data["version"]), datetime.fromisoformat(e.data["due"]))

    def _on_case_opened(self, e: Event) -> None:
        if e.data.get("case_number") and e.data.get("promised_by"):
            self.service.adopt_after_hours(str(e.data["case_number"]))

    def _on_attempt(self, e: Event) -> None:
        if e.data.get("channel") == "email" and e.data.get("outcome") == "queued" and not e.data.get("retry"):
            self.deliver_at(int(e.data["attempt_id"]))

    # -- inspection and the test hook -------------------------------------------------------------

    def jobs(self) -> list[tuple[str, datetime | None]]:
        return [(j.id, j.next_run_time) for j in self._sched.get_jobs(jobstore="default")]

    def run_due_now(self, now: datetime, timeout: float = 15.0) -> list[str]:
        """Run, through the real scheduler and now, every stored job due at `now` (the injected clock's time).

        Tests advance their clock and call this instead of waiting for real hours to pass.
        """
        if not self.run_jobs:
            raise RuntimeError("this process does not run follow-up jobs (another holds the runner lock)")
        due = [j for j in self._sched.get_jobs(jobstore="default") if j.next_run_time and j.next_run_time <= now]
        waits = []
        for job in due:
            done = threading.Event()
            with self._lock:
                self._done[job.id] = done
            waits.append(done)
            job.modify(next_run_time=datetime.now(UTC))
        self._sched.wakeup()
        for done in waits:
            if not done.wait(timeout):
                raise TimeoutError("a follow-up job did not finish in time")
        self.drain(timeout)
        return [j.id for j in due]

    def drain(self, timeout: float = 15.0) -> None:
        """Wait until no job is running and none is due by the real clock (e.g. deliveries a step queued)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                busy = self._running > 0
            now = datetime.now(UTC)
            if not busy and not any(j.next_run_time and j.next_run_time <= now
                                    for j in self._sched.get_jobs(jobstore="default")):
                return
            time.sleep(0.02)
        raise TimeoutError("follow-up jobs were still running")

    def _submitted(self, event: Any) -> None:
        with self._lock:
            self._running += 1

    def _finished(self, event: Any) -> None:
        if getattr(event, "exception", None) is not None:
            log.error("follow-up job %s failed: %s", event.job_id, event.exception)
        with self._lock:
            self._running -= 1
            done = self._done.pop(event.job_id, None)
        if done is not None:
            done.set()


def _jobs_engine(db: Database) -> Any:
    """An engine of its own on the same database (the job store disposes its engine at shutdown).

    SQLite needs no pool; PostgreSQL keeps two connections (a new one per query cost ~2 s of lag under load).
    """
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    if db.is_sqlite:
        return create_engine(db.url, poolclass=NullPool, connect_args={"check_same_thread": False, "timeout": 30})
    return create_engine(db.url, pool_size=2, max_overflow=2, pool_pre_ping=True)


def _noop() -> None:
    """Wake the scheduler so it reads the shared job store again."""


def start_followups(db: Database, bus: EventBus, *, mailer: Any = None, clock: Any = utcnow,
                    settings: Any = None) -> PromiseScheduler:
    """Build the follow-up steps and a started scheduler subscribed to bus.

    Only the process that wins the runner lock runs jobs; every process stores them.
    """
    from followup.runner_lock import RunnerLock
    from followup.settings import FollowUpSettings

    s = settings or FollowUpSettings()
    service = FollowUps(db, bus, mailer=mailer, clock=clock, settings=s)
    lock = RunnerLock(db)
    runs = s.run_jobs and lock.acquire()
    sched = PromiseScheduler(service, db, run_jobs=runs)
    sched.lock = lock
    sched.register(bus)
    # Starting creates APScheduler's job table when missing: workers starting together on a fresh
    # database must not race on that CREATE TABLE (one would fail and uvicorn would stop the app).
    from core.startup_lock import startup_lock

    with startup_lock(db):
        sched.start()
    return sched
