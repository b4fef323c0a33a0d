"""Rate limits on login, conversation start and customer messages, per address and per conversation.

Counting is the `limits` library's moving window (memory, or Redis for several workers); this module
only names the budgets and turns an exhausted one into a 429 with Retry-After.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from fastapi import HTTPException, Request
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from web.settings import WebSettings

__all__ = ["RateLimited", "RateLimits", "check_message", "client_address", "limit_start", "storage_url"]

log = logging.getLogger(__name__)


@dataclass
class RateLimited(Exception):
    """A budget is used up; retry_after is whole seconds until the oldest counted hit leaves the window."""

    budget: str
    retry_after: int


class SweptMemoryStorage(MemoryStorage):
    """limits' memory storage, dropping expired entries once a second instead of 10 ms after a hit.

    limits 5.8 starts a sweep of *every* key 10 ms after each hit, so up to 100 sweeps a second,
    each walking all keys. A key lives a minute after its last hit, so there is one per conversation
    active in the last minute plus one per address. Under the load benchmark (2,000 such keys) the
    sweeps held the single-process app's interpreter 3 % of the time (py-spy, README "Operations").
    The counts do not depend on the sweep: the moving window compares timestamps, and a fixed
    window checks its own expiry on read. Expired entries stay in memory up to a second longer.
    """

    SWEEP_SECONDS = 1.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # overrides the library's private scheduler
        if not self.timer.is_alive():
            self.timer = threading.Timer(self.SWEEP_SECONDS, self._MemoryStorage__expire_events)  # type: ignore[attr-defined]
            self.timer.daemon = True
            self.timer.start()


def make_storage(url: str, **options: str | bool | float) -> Storage:
    """The storage for a URL; memory:// is SweptMemoryStorage."""
    return SweptMemoryStorage() if url == "memory://" else storage_from_string(url, **options)


def storage_url(settings: WebSettings, redis_url: str = "") -> str:
    """Where to count: the explicit setting, else the desk's Redis (shared by its workers), else memory."""
    return settings.rate_limit_storage or redis_url or "memory://"


class RateLimits:
    """The named budgets of one app; check() counts a hit and raises RateLimited when over.

    With shared storage (Redis) every worker counts against one budget. If that storage fails (Redis
    restarting), this process counts on its own memory until it answers again: the limits hold per
    worker meanwhile, and a customer's message is never refused or failed because Redis is away.
    """

    def __init__(self, settings: WebSettings, redis_url: str = "", namespace: str = "") -> None:
        self.enabled = settings.rate_limits_enabled
        url = storage_url(settings, redis_url)
        options: dict[str, str | bool | float] = {}
        if url.startswith(("redis://", "rediss://")):
            # one desk's budgets apart from another's on a shared Redis; fail fast when it is away
            options.update(key_prefix=f"firstline-limits:{namespace}", wrap_exceptions=True,
                           socket_timeout=0.5, socket_connect_timeout=0.5)
        self.storage_url = url
        self.limiter = MovingWindowRateLimiter(make_storage(url, **options))
        self.local = MovingWindowRateLimiter(make_storage("memory://"))
        self._storage_down_until = 0.0
        self.budgets: dict[str, list[RateLimitItem]] = {
            "login": parse_many(settings.rate_login_per_ip),
            "start": parse_many(settings.rate_start_per_ip),
            "message": parse_many(settings.rate_message_per_ip),
            "conversation": parse_many(settings.rate_message_per_conversation),
        }

    def close(self) -> None:
        """Release the shared storage's connections (app shutdown, tests)."""
        client = getattr(self.limiter.storage, "storage", None)
        if client is not None and hasattr(client, "close"):
            client.close()

    def check(self, budget: str, key: str) -> None:
        if not self.enabled:
            return
        limiter = self.limiter if time.monotonic() >= self._storage_down_until else self.local
        for item in self.budgets[budget]:
            try:
                allowed = limiter.hit(item, budget, key)
            except StorageError as exc:
                if limiter is self.local:
                    raise
                log.warning("rate-limit storage %s failed (%s); counting in this process for 10 s",
                            self.storage_url.split("@")[-1], exc)
                self._storage_down_until = time.monotonic() + 10
                limiter = self.local
                allowed = limiter.hit(item, budget, key)
            if not allowed:
                reset, _ = limiter.get_window_stats(item, budget, key)
                raise RateLimited(budget, max(1, math.ceil(reset - time.time())))


def client_address(request: Request) -> str:
    """The caller's address (behind a proxy, run uvicorn with --proxy-headers so this is the client's)."""
    return request.client.host if request.client else "unknown"


def _limits(request: Request) -> RateLimits:
    return request.app.state.rate_limits  # type: ignore[no-any-return]


def too_many(exc: RateLimited, what: str) -> HTTPException:
    return HTTPException(
        429,
        {"code": "rate_limited", "message": f"{what}; please try again in {exc.retry_after} seconds"},
        headers={"Retry-After": str(exc.retry_after)},
    )


def limit_start(request: Request) -> None:
    """Dependency: conversation starts per address."""
    try:
        _limits(request).check("start", client_address(request))
    except RateLimited as exc:
        raise too_many(exc, "too many conversations were started from your address") from exc


def check_message(request: Request, conversation_id: str) -> None:
    """Customer messages per address and per conversation (after the conversation token was checked)."""
    try:
        _limits(request).check("message", client_address(request))
        _limits(request).check("conversation", conversation_id)
    except RateLimited as exc:
        raise too_many(exc, "you are sending messages too fast") from exc
