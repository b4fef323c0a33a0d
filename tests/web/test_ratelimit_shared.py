"""Rate-limit budgets shared by a desk's workers through Redis, and what happens when Redis is away."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import RedisServer
from web.ratelimit import RateLimited, RateLimits, storage_url
from web.settings import WebSettings


@pytest.fixture
def limits_made() -> Iterator[list[RateLimits]]:
    made: list[RateLimits] = []
    yield made
    for limits in made:
        limits.close()


def _settings(**kw: object) -> WebSettings:
    return WebSettings(_env_file=None, rate_message_per_ip="3/minute", **kw)  # type: ignore[call-arg]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


def test_storage_url_prefers_the_setting_then_the_desks_redis_then_memory() -> None:
    assert storage_url(_settings(rate_limit_storage="memory://"), "redis://r:6379/0") == "memory://"
    assert storage_url(_settings(), "redis://r:6379/0") == "redis://r:6379/0"
    assert storage_url(_settings(), "") == "memory://"


def test_ratelimit_two_workers_on_one_redis_share_one_budget(redis_server: RedisServer,
                                                            limits_made: list[RateLimits]) -> None:
    worker_a = RateLimits(_settings(), redis_server.url, namespace="desk1")
    worker_b = RateLimits(_settings(), redis_server.url, namespace="desk1")
    desk2 = RateLimits(_settings(), redis_server.url, namespace="desk2")
    limits_made.extend([worker_a, worker_b, desk2])
    worker_a.check("message", "203.0.113.7")
    worker_b.check("message", "203.0.113.7")
    worker_a.check("message", "203.0.113.7")
    with pytest.raises(RateLimited) as refused:
        worker_b.check("message", "203.0.113.7")
    assert refused.value.budget == "message" and 1 <= refused.value.retry_after <= 60
    # another desk on the same Redis has its own budgets
    desk2.check("message", "203.0.113.7")


def test_ratelimit_redis_gone_counts_in_the_process_and_refuses_nothing_it_would_not(
        redis_server: RedisServer, limits_made: list[RateLimits]) -> None:
    worker = RateLimits(_settings(), redis_server.url, namespace="desk1")
    limits_made.append(worker)
    worker.check("message", "198.51.100.1")
    redis_server.kill()
    # no error reaches the customer: the worker counts on its own while Redis is away ...
    for _ in range(3):
        worker.check("message", "198.51.100.1")
    # ... and still enforces the budget there
    with pytest.raises(RateLimited):
        worker.check("message", "198.51.100.1")
    # once Redis answers again (after the back-off), the shared count is used again
    redis_server.start()
    worker._storage_down_until = 0.0  # the 10 s back-off, elapsed
    # (this Redis keeps nothing on disk, so the restarted one counts from zero)
    for _ in range(3):
        worker.check("message", "198.51.100.1")
    with pytest.raises(RateLimited):
        worker.check("message", "198.51.100.1")
