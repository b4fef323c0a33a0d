"""A small production product on a redis-server of its own, for the tests of Redis going away.

Its own redis-server on a free port (never the machine's: the tests kill it), its own PostgreSQL
database on the machine's server, one uvicorn worker and one Rasa server (the machine has 2 cores).
Session fixtures, imported by tests/conftest.py, so the e2e and browser tests share one product.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from firstline import launch
from tests.e2e.conftest import Product
from tests.servers import RedisServer

SECRET = "production-redis-e2e-secret-0123456789"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="session")
def small_prod(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer) -> Iterator[Product]:
    from tests.conftest import PG_URL, _pg_admin, _pg_url

    if not PG_URL:
        pytest.skip("production mode needs DATABASE_URL (PostgreSQL; .ci/run sets it)")
    name = f"firstline_redis_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        try:
            p = launch.start(tmp_path_factory.mktemp("prod-redis"), secret=SECRET, production=True,
                             env={"DATABASE_URL": _pg_url(name), "REDIS_URL": redis_server.url,
                                  "FIRSTLINE_RUN_APP_WORKERS": "1", "FIRSTLINE_RUN_RASA_SERVERS": "1"})
        except launch.LaunchError as exc:
            pytest.fail(str(exc))
        yield p
        assert p.stop() == 0, "".join(p.output[-30:])
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def live_events(base: str) -> str:
    return str(httpx.get(f"{base}/health", timeout=10).json()["live_events"])
