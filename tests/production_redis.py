"""A small production product on a redis-server of its own, for the tests of Redis going away.

Its own redis-server on a free port (never the machine's: the tests kill it), its own PostgreSQL
database on the machine's server, one uvicorn worker and one Rasa server (the machine has 2 cores).
Session fixtures, imported by tests/conftest.py, so the e2e and browser tests share one product.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

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
    from tests.conftest import PG_URL
    from tests.e2e.workers import production_product

    if not PG_URL:
        pytest.skip("production mode needs DATABASE_URL (PostgreSQL; .ci/run sets it)")
    with production_product(tmp_path_factory.mktemp("prod-redis"), secret=SECRET, redis_url=redis_server.url,
                            workers=1, rasa_servers=1) as p:
        yield p


def live_events(base: str) -> str:
    return str(httpx.get(f"{base}/health", timeout=10).json()["live_events"])
