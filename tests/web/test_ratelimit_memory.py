"""The single process's rate-limit storage: the same counts as limits' own, one sweep a second at most."""

from __future__ import annotations

import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from web.ratelimit import RateLimits, SweptMemoryStorage
from web.settings import WebSettings


def test_counts_like_the_librarys_memory_storage() -> None:
    item = parse("3/second")
    for storage in (MemoryStorage(), SweptMemoryStorage()):
        lim = MovingWindowRateLimiter(storage)
        assert [lim.hit(item, "k") for _ in range(5)] == [True, True, True, False, False]
        assert lim.get_window_stats(item, "k").remaining == 0
        time.sleep(1.05)  # the window moved on before any sweep: counting needs none
        assert lim.hit(item, "k")


def test_sweeps_at_most_once_a_second_and_drops_what_expired() -> None:
    storage = SweptMemoryStorage()
    sweeps: list[float] = []
    sweep = storage._MemoryStorage__expire_events  # type: ignore[attr-defined]

    def counting() -> None:
        sweeps.append(time.monotonic())
        sweep()

    storage._MemoryStorage__expire_events = counting  # type: ignore[attr-defined]
    lim = MovingWindowRateLimiter(storage)
    short, long = parse("100/second"), parse("100/minute")
    lim.hit(long, "stays")
    started = time.monotonic()
    while time.monotonic() - started < 2.5:  # 100 hits a second: limits itself would sweep ~100 times
        lim.hit(short, "goes")
        time.sleep(0.01)
    time.sleep(1.1)  # every "goes" entry has expired; the next hit schedules a sweep a second later
    lim.hit(long, "stays")
    time.sleep(1.3)
    assert 3 <= len(sweeps) <= 5, sweeps
    entries = {key.split("/")[1]: events for key, events in storage.events.items()}
    assert entries["goes"] == [] and len(entries["stays"]) == 2


def test_the_app_counts_in_swept_memory_without_redis() -> None:
    limits = RateLimits(WebSettings())
    assert isinstance(limits.limiter.storage, SweptMemoryStorage)
    assert isinstance(limits.local.storage, SweptMemoryStorage)
