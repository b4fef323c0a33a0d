"""The event bus across workers, on a real Redis: fan-out, no double delivery, degrade and recover."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from core.events import Event, EventBus, events
from core.redis_bus import RedisEventBus, make_bus
from tests.servers import RedisServer


class Collector:
    """Everything one bus streams to a live subscriber (as a widget's WebSocket gets it)."""

    def __init__(self, bus: EventBus) -> None:
        self.events: list[Event] = []
        self.task = asyncio.create_task(self._run(bus))

    async def _run(self, bus: EventBus) -> None:
        async for e in bus.stream(lambda e: e.name.startswith("test.")):
            if e.name.startswith("test."):  # live.* status events reach every subscriber
                self.events.append(e)

    def names(self) -> list[str]:
        return [e.name for e in self.events]

    async def wait_for(self, n: int, timeout: float = 5.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.events) < n:
            assert asyncio.get_running_loop().time() < deadline, self.names()
            await asyncio.sleep(0.02)


def _pair(url: str) -> tuple[RedisEventBus, RedisEventBus]:
    channel = f"firstline:test:{uuid.uuid4().hex}"  # the shared Redis: a channel no one else uses
    a, b = RedisEventBus(url, channel, reconnect_seconds=0.2), RedisEventBus(url, channel, reconnect_seconds=0.2)
    assert a.wait_subscribed(5) and b.wait_subscribed(5)
    return a, b


def test_make_bus_without_redis_url_is_the_in_process_bus() -> None:
    assert type(make_bus("")) is EventBus


def in_own_thread(coro: Any) -> None:
    """Run a coroutine on a fresh event loop in its own thread.

    The browser tests keep playwright's synchronous API (an event loop of its own) alive in the main
    thread for the whole session, so these tests never run a loop there.
    """
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()


def test_redis_bus_event_reaches_other_worker_once_and_own_subscribers_once(redis_url: str) -> None:
    in_own_thread(_reaches_other_worker_once(redis_url))


def test_redis_bus_redis_gone_for_10s_degrades_then_recovers_and_loses_nothing_locally(tmp_path: Path) -> None:
    in_own_thread(_redis_gone_for_10s(tmp_path))


async def _reaches_other_worker_once(redis_url: str) -> None:
    a, b = await asyncio.to_thread(_pair, redis_url)
    ran_on: list[str] = []
    a.on("test.reply", lambda e: ran_on.append("a:on"))
    b.on("test.reply", lambda e: ran_on.append("b:on"))
    a.on_every_worker("test.reply", lambda e: ran_on.append("a:every"))
    b.on_every_worker("test.reply", lambda e: ran_on.append("b:every"))
    try:
        on_a, on_b = Collector(a), Collector(b)
        await asyncio.sleep(0.05)
        a.emit("test.reply", "conv-1", text="hello from worker A")
        await on_b.wait_for(1)
        await on_a.wait_for(1)
        await asyncio.sleep(0.5)  # anything delivered twice would have arrived by now
        assert on_a.names() == on_b.names() == ["test.reply"]
        got = on_b.events[0]
        assert (got.conversation_id, got.data, got.at) == ("conv-1", {"text": "hello from worker A"},
                                                           on_a.events[0].at)
        # Domain side effects run once, in the publishing worker; per-process state is updated everywhere.
        assert sorted(ran_on) == ["a:every", "a:on", "b:every"]
        on_a.task.cancel()
        on_b.task.cancel()
    finally:
        await asyncio.to_thread(a.close)
        await asyncio.to_thread(b.close)


async def _redis_gone_for_10s(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    await asyncio.to_thread(server.start)
    a, b = await asyncio.to_thread(_pair, server.url)
    restored_b: list[str] = []  # per-process state (caches) hears it too: it may have missed events
    b.on_every_worker(events.LIVE_RESTORED, lambda e: restored_b.append(e.name))
    try:
        status_b: list[str] = []

        async def watch() -> None:  # what a widget on worker B is told
            async for e in b.stream(lambda e: False):
                status_b.append(e.name)

        watcher = asyncio.create_task(watch())
        on_a, on_b = Collector(a), Collector(b)
        await asyncio.sleep(0.05)

        await asyncio.to_thread(server.kill)
        for _ in range(100):
            if not a.live and not b.live and status_b:
                break
            await asyncio.sleep(0.05)
        assert (a.live, b.live) == (False, False)
        assert status_b == [events.LIVE_DEGRADED]
        a.emit("test.during", "conv-1")  # must not raise nor block: the database is the truth
        await on_a.wait_for(1)
        assert on_a.names() == ["test.during"]  # worker A's own clients still get it live
        late: list[str] = []

        async def late_client() -> None:  # connecting during the outage: told to poll at once
            async for e in b.stream(lambda e: False):
                late.append(e.name)

        late_task = asyncio.create_task(late_client())
        await asyncio.sleep(10)  # Redis stays gone for 10 s
        assert late == [events.LIVE_DEGRADED]

        await asyncio.to_thread(server.start)
        for _ in range(200):
            if a.live and b.live and len(status_b) == 2:
                break
            await asyncio.sleep(0.05)
        assert (a.live, b.live) == (True, True)
        assert status_b == [events.LIVE_DEGRADED, events.LIVE_RESTORED]  # clients re-read what they missed
        assert restored_b == [events.LIVE_RESTORED]
        a.emit("test.after", "conv-1")
        await on_b.wait_for(1)
        assert on_b.names() == ["test.after"]
        for t in (watcher, late_task, on_a.task, on_b.task):
            t.cancel()
    finally:
        await asyncio.to_thread(a.close)
        await asyncio.to_thread(b.close)
        server.kill()


def test_redis_bus_close_stops_its_listener(redis_url: str) -> None:
    bus = RedisEventBus(redis_url, f"firstline:test:{uuid.uuid4().hex}")
    assert bus.wait_subscribed(5)
    bus.close()
    assert not bus._thread.is_alive()
    bus.emit("test.after_close")  # publishing after close is harmless
