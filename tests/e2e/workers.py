"""A second app process beside a production product: "worker B", on its own port.

With several workers behind one port a test cannot choose which worker serves a connection, so a
second app process started with the same settings (same database, Redis and Rasa servers) is the
honest way to force an event to cross workers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from core.settings import ROOT
from firstline import launch
from tests.e2e.conftest import Product
from tests.e2e.staff import PASSWORD


@contextmanager
def production_product(data_dir: Path, *, secret: str, redis_url: str, workers: int,
                       rasa_servers: int) -> Iterator[Product]:
    """Run `firstline run --production` on a new PostgreSQL database of its own; drop it afterwards."""
    import uuid

    import pytest

    from tests.conftest import _pg_admin, _pg_url

    name = f"firstline_prod_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        try:
            p = launch.start(data_dir, secret=secret, production=True,
                             env={"DATABASE_URL": _pg_url(name), "REDIS_URL": redis_url,
                                  "FIRSTLINE_RUN_APP_WORKERS": str(workers),
                                  "FIRSTLINE_RUN_RASA_SERVERS": str(rasa_servers)})
        except launch.LaunchError as exc:
            pytest.fail(str(exc))
        yield p
        assert p.stop() == 0, "".join(p.output[-30:])
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def second_worker(prod: Product) -> Iterator[str]:
    """Run one more app process sharing prod's database, Redis and Rasa servers; yield its base URL."""
    port = launch.free_port()
    first = int(prod.rasa.rsplit(":", 1)[1])
    servers = int(prod.env.get("FIRSTLINE_RUN_RASA_SERVERS", "2"))
    rasa_urls = ",".join(f"http://127.0.0.1:{first + i}" for i in range(servers))
    env = dict(prod.env, FIRSTLINE_MODE="production", FIRSTLINE_RASA_URL=rasa_urls)
    log_path = prod.data_dir / "logs" / "worker-b.log"
    log = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "web.main:create", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert proc.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "worker B did not start"
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


def staff(base: str, username: str) -> httpx.Client:
    """A logged-in agent. Production cookies are Secure (TLS in front), so over loopback HTTP the
    session cookie is sent by hand, as the TLS proxy's browser would."""
    c = httpx.Client(base_url=base, timeout=30)
    r = c.post("/login", data={"username": username, "password": PASSWORD})
    assert r.status_code in (200, 303), r.text
    cookie = r.cookies.get("firstline_session") or c.cookies.get("firstline_session")
    assert cookie, r.headers
    assert "secure" in r.headers["set-cookie"].lower()
    c.headers["Cookie"] = f"firstline_session={cookie}"
    c.headers["X-CSRF-Token"] = c.get("/api/console/me").json()["csrf_token"]  # as console.js sends it
    assert c.put("/api/console/me/status", json={"status": "online"}).status_code == 200
    return c
