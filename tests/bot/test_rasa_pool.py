"""Several Rasa servers: sticky per conversation, spread across conversations, fail over only when safe."""

from __future__ import annotations

import json

import httpx
import pytest

from bot.dialogue import DialogueUnavailable, RasaClient
from bot.rasa_pool import RasaPool, make_dialogue

URLS = ["http://rasa-a:5005", "http://rasa-b:5006"]


def recording(down: set[str] = frozenset(), slow: set[str] = frozenset()):  # type: ignore[no-untyped-def]
    calls: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host in down:
            raise httpx.ConnectError("connection refused", request=request)
        if host in slow:
            raise httpx.ReadTimeout("timed out", request=request)
        sender = __import__("json").loads(request.content)["sender"]
        calls.append((host, sender))
        return httpx.Response(200, json=[{"text": f"hello from {host}"}])

    return calls, httpx.MockTransport(handler)


def test_rasa_pool_same_conversation_same_server_in_every_worker() -> None:
    calls, transport = recording()
    worker_a, worker_b = RasaPool(URLS, 5, transport), RasaPool(URLS, 5, transport)
    for cid in ("c-1", "c-2", "c-3"):
        worker_a.send(cid, "hi")
        worker_b.send(cid, "again")
    by_conv: dict[str, set[str]] = {}
    for host, sender in calls:
        by_conv.setdefault(sender, set()).add(host)
    assert all(len(hosts) == 1 for hosts in by_conv.values())


def test_rasa_pool_spreads_conversations_over_servers() -> None:
    pool = RasaPool(URLS, 5, recording()[1])
    counts = [0, 0]
    for i in range(1000):
        counts[pool.server_for(f"conversation-{i}")] += 1
    assert min(counts) > 400


def test_rasa_pool_server_refusing_connections_fails_over_to_the_next() -> None:
    calls, transport = recording(down={"rasa-a"})
    pool = RasaPool(URLS, 5, transport)
    cid = next(f"c-{i}" for i in range(100) if pool.server_for(f"c-{i}") == 0)
    [reply] = pool.send(cid, "hi")
    assert reply.text == "hello from rasa-b"
    assert calls == [("rasa-b", cid)]


def test_rasa_pool_timeout_is_not_retried_elsewhere() -> None:
    calls, transport = recording(slow={"rasa-a"})
    pool = RasaPool(URLS, 5, transport)
    cid = next(f"c-{i}" for i in range(100) if pool.server_for(f"c-{i}") == 0)
    with pytest.raises(DialogueUnavailable, match="did not answer"):
        pool.send(cid, "hi")
    assert calls == []  # the first server may still be handling it: never twice


def test_rasa_pool_all_down_is_dialogue_unavailable() -> None:
    _, transport = recording(down={"rasa-a", "rasa-b"})
    with pytest.raises(DialogueUnavailable, match="no Rasa server reachable"):
        RasaPool(URLS, 5, transport).send("c-1", "hi")


def test_make_dialogue_one_url_is_a_plain_client_several_are_a_pool() -> None:
    assert type(make_dialogue("http://127.0.0.1:5005", 8)) is RasaClient
    pool = make_dialogue(" http://127.0.0.1:5005, http://127.0.0.1:5006 ", 8)
    assert isinstance(pool, RasaPool) and [c.base_url for c in pool.clients] == [
        "http://127.0.0.1:5005", "http://127.0.0.1:5006"]


def test_rasa_pool_hung_server_fails_the_sent_turn_then_later_turns_go_to_the_next_unsent() -> None:
    import threading

    release = threading.Event()
    calls: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if request.url.path == "/":  # health check: rasa-a stopped answering (hung), rasa-b is fine
            if host == "rasa-a":
                raise httpx.ReadTimeout("no answer", request=request)
            return httpx.Response(200)
        calls.append((host, json.loads(request.content)["sender"]))
        if host == "rasa-a":
            release.wait(30)
        return httpx.Response(200, json=[{"text": f"hello from {host}"}])

    pool = RasaPool(URLS, 0.2, httpx.MockTransport(handler), patience=30)
    first, second = [c for c in (f"c-{i}" for i in range(100)) if pool.server_for(c) == 0][:2]
    try:
        with pytest.raises(DialogueUnavailable, match="fails its health check"):
            pool.send(first, "hi")  # sent to rasa-a: never given to another (it may still answer)
        [reply] = pool.send(second, "hi")  # known down: not sent to rasa-a, so rasa-b takes it
        assert reply.text == "hello from rasa-b"
        assert calls == [("rasa-a", first), ("rasa-b", second)]
    finally:
        release.set()
        pool.close()
