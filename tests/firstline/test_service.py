"""The supervisor's unit of work: a real child process that crashes and comes back with backoff."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from firstline.launch import free_port
from firstline.service import Backoff, Service


def test_backoff_doubles_and_caps() -> None:
    b = Backoff(initial=1, maximum=30)
    assert [b.delay(n) for n in range(0, 8)] == [0, 1, 2, 4, 8, 16, 30, 30]


def _http_service(tmp_path: Path, backoff: Backoff) -> Service:
    port = free_port()
    cmd = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)]
    return Service("web", cmd, dict(os.environ), f"http://127.0.0.1:{port}/", tmp_path / "logs", tmp_path / "run",
                   start_timeout=20, backoff=backoff)


def _tick_until(svc: Service, said: list[str], done, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, said
        svc.tick(time.monotonic(), said.append)
        time.sleep(0.1)


def test_service_killed_restarts_after_backoff_and_counts_failures(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    said: list[str] = []
    svc = _http_service(tmp_path, Backoff(initial=0.5, maximum=1, stable_after=3600))
    svc.start(said.append)
    try:
        _tick_until(svc, said, lambda: svc.healthy)
        first = svc.proc.pid  # type: ignore[union-attr]
        assert (tmp_path / "run" / "web.pid").read_text().strip() == str(first)
        os.kill(first, signal.SIGKILL)
        _tick_until(svc, said, lambda: svc.proc is None)
        assert said[-1].startswith("web stopped unexpectedly (code -9); restarting in 0s (restart 1)")
        assert svc.restart_at is not None and svc.restart_at > time.monotonic() + 0.2  # waits its backoff
        _tick_until(svc, said, lambda: svc.healthy)
        assert svc.proc is not None and svc.proc.pid != first
        assert said[-2:] == ["restarting web…", said[-1]] and said[-1].startswith("web is serving again (")
        assert svc.failures == 1  # not yet stable: a second crash would wait longer
        assert svc.backoff.delay(svc.failures + 1) == 1
    finally:
        svc.stop()
        svc.wait_stopped()
    assert not (tmp_path / "run" / "web.pid").exists()


def test_service_stable_for_long_enough_resets_its_failures(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    said: list[str] = []
    svc = _http_service(tmp_path, Backoff(initial=0.2, maximum=1, stable_after=0.5))
    svc.start(said.append)
    try:
        _tick_until(svc, said, lambda: svc.healthy)
        os.kill(svc.proc.pid, signal.SIGKILL)  # type: ignore[union-attr]
        _tick_until(svc, said, lambda: svc.proc is None)
        _tick_until(svc, said, lambda: svc.healthy)
        assert svc.failures == 1
        _tick_until(svc, said, lambda: svc.failures == 0)
    finally:
        svc.stop()
        svc.wait_stopped()
