"""One supervised child process: start, health, crash, restart with backoff, stop."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from core.settings import ROOT


@dataclass(frozen=True)
class Backoff:
    """Delay before the n-th restart in a row: initial, doubled each time, capped at maximum.

    A process that stays healthy for `stable_after` seconds has its count reset, so a crash a day
    restarts at once while a crash loop slows down to one try per `maximum` seconds.
    """

    initial: float = 1.0
    maximum: float = 30.0
    stable_after: float = 60.0

    def delay(self, failures: int) -> float:
        if failures <= 0:
            return 0.0
        return float(min(self.maximum, self.initial * 2 ** (failures - 1)))


def _pump(proc: subprocess.Popen[str], prefix: str, log: Path, say: Callable[[str], None]) -> None:
    assert proc.stdout is not None
    with log.open("a", encoding="utf-8") as f, proc.stdout:
        for line in proc.stdout:
            f.write(line)
            f.flush()
            if os.environ.get("FIRSTLINE_VERBOSE") or any(w in line for w in ("ERROR", "Traceback", "[firstline]")):
                print(f"{prefix} {line}", end="", flush=True)


@dataclass
class Service:
    """A child process in its own process group, its output appended to logs/<name>.log."""

    name: str
    cmd: list[str]
    env: dict[str, str]
    health_url: str
    logs: Path
    run_dir: Path
    start_timeout: float = 240.0
    backoff: Backoff = field(default_factory=Backoff)
    start_after: str | None = None  # at start-up, wait until this service is healthy first
    proc: subprocess.Popen[str] | None = None
    healthy: bool = False
    failures: int = 0  # crashes in a row, reset once it has run healthy for backoff.stable_after
    restarts: int = 0
    started_at: float = 0.0
    healthy_since: float = 0.0
    down_since: float | None = None
    restart_at: float | None = None

    @property
    def log(self) -> Path:
        return self.logs / f"{self.name}.log"

    @property
    def pid_file(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    def start(self, say: Callable[[str], None]) -> None:
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=True)
        threading.Thread(target=_pump, args=(self.proc, f"[{self.name}]", self.log, say), daemon=True).start()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.pid_file.write_text(f"{self.proc.pid}\n")
        self.started_at = time.monotonic()
        self.healthy = False
        self.restart_at = None

    def probe(self) -> bool:
        try:
            return httpx.get(self.health_url, timeout=1.5).status_code == 200
        except httpx.HTTPError:
            return False

    def exited(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def reap(self) -> None:
        """After the leader died: kill what is left of its group (Rasa's or uvicorn's children)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        self.proc = None
        self.healthy = False

    def stop(self) -> None:
        """Ask the whole process group to stop (SIGTERM); wait_stopped() waits for it."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def wait_stopped(self, timeout: float = 15.0) -> None:
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        self.pid_file.unlink(missing_ok=True)

    def tick(self, now: float, say: Callable[[str], None]) -> None:
        """One supervision step: notice a crash, restart when its backoff has passed, notice recovery."""
        code = self.exited()
        if self.proc is not None and code is not None:
            self.reap()
            self.failures += 1
            self.restarts += 1
            self.down_since = self.down_since or now
            delay = self.backoff.delay(self.failures)
            self.restart_at = now + delay
            say(f"{self.name} stopped unexpectedly (code {code}); restarting in {delay:.0f}s "
                f"(restart {self.restarts}); the other processes keep serving; see {self.log}")
            return
        if self.proc is None:
            if self.restart_at is not None and now >= self.restart_at:
                say(f"restarting {self.name}…")
                self.start(say)
            return
        if not self.healthy:
            if self.probe():
                self.healthy = True
                self.healthy_since = now
                if self.down_since is not None:
                    say(f"{self.name} is serving again ({now - self.down_since:.0f}s after it stopped)")
                    self.down_since = None
            elif now - self.started_at > self.start_timeout:
                say(f"{self.name} was not healthy {self.start_timeout:.0f}s after starting; killing it")
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            return
        if self.failures and now - self.healthy_since >= self.backoff.stable_after:
            self.failures = 0
