"""Production mode's app workers (firstline/app_workers.py): connections spread over the workers
whatever each is doing, a killed worker is replaced, and a taken port is refused."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from core.settings import ROOT
from firstline import app_workers
from firstline.launch import free_port


def _serve(port: int, workers: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "firstline.app_workers",
                             "--factory", "tests.firstline.pid_app:create", "--host", "127.0.0.1",
                             "--port", str(port), "--workers", str(workers)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def _pids_over_new_connections(port: int, n: int) -> Counter[str]:
    seen: Counter[str] = Counter()
    for _ in range(n):
        with httpx.Client(timeout=5) as c:  # a new connection each time
            seen[c.get(f"http://127.0.0.1:{port}/").text.split()[0]] += 1
    return seen


def _connections_per_worker_in_a_burst(port: int, connections: int) -> Counter[str]:
    """Open `connections` keep-alive connections at once (as a load balancer's pool or a crowd of
    customers arriving together does) and count how many each worker accepted."""
    async def burst() -> set[str]:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(limits=limits, timeout=10) as c:
            replies = await asyncio.gather(*(c.get(f"http://127.0.0.1:{port}/") for _ in range(5 * connections)))
        return {r.text for r in replies}  # "pid client-port": one per connection

    # A loop of its own in its own thread: the browser tests keep playwright's loop running in the
    # main thread for the whole session (as tests/core/test_redis_bus.py does).
    with ThreadPoolExecutor(1) as pool:
        pairs = pool.submit(lambda: asyncio.run(burst())).result()
    return Counter(pid_port.split()[0] for pid_port in pairs)


def _wait_for(port: int, workers: int, proc: subprocess.Popen[str]) -> Counter[str]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        try:
            seen = _pids_over_new_connections(port, 40)
            if len(seen) == workers:
                return seen
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail("the workers did not all serve")


def test_connections_spread_over_every_worker_and_a_killed_worker_is_replaced() -> None:
    port = free_port()
    proc = _serve(port, 2)
    try:
        _wait_for(port, 2, proc)
        seen = _connections_per_worker_in_a_burst(port, 40)
        assert len(seen) == 2 and min(seen.values()) >= 8, seen
        # While one worker is busy, a burst of new connections still goes to both: the kernel's hash
        # picks the socket. With uvicorn's one shared socket the idle worker accepted the whole burst
        # (40 of 40 when this test ran against `uvicorn --workers 2`) and kept those connections.
        with ThreadPoolExecutor(1) as pool:
            busy = pool.submit(httpx.get, f"http://127.0.0.1:{port}/busy?2", timeout=10)
            time.sleep(0.3)
            seen = _connections_per_worker_in_a_burst(port, 40)
            busy_pid = busy.result().text.split()[0]
        assert seen[busy_pid] >= 8, (busy_pid, seen)
        victim = int(next(iter(seen)))
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:
            try:
                now = _pids_over_new_connections(port, 40)
            except httpx.HTTPError:  # a connection queued on the dead worker's socket
                now = Counter()
            if len(now) == 2 and str(victim) not in now:
                break
            assert time.monotonic() < deadline, f"the killed worker was not replaced: {now}"
            time.sleep(0.3)
        assert proc.poll() is None
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=30)


def test_a_port_already_served_is_refused_rather_than_shared() -> None:
    """A second desk on the same port would join the first's SO_REUSEPORT group and take half its
    customers; the launcher refuses to start instead."""
    port = free_port()
    first = app_workers.reuseport_socket("127.0.0.1", port, 16)
    try:
        assert not app_workers.port_is_free("127.0.0.1", port)
        out = subprocess.run([sys.executable, "-m", "firstline.app_workers", "--factory",
                              "tests.firstline.pid_app:create", "--port", str(port)], cwd=ROOT, text=True,
                             capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
        assert out.returncode == 1 and f"127.0.0.1:{port} is already in use" in out.stderr
    finally:
        first.close()
    assert app_workers.port_is_free("127.0.0.1", port)
    with socket.create_server(("127.0.0.1", port)):
        assert not app_workers.port_is_free("127.0.0.1", port)
