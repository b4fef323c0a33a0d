from __future__ import annotations

import json

import httpx
import pytest

from bot.dialogue import BotReply, DialogueUnavailable, RasaClient, RasaUnreachable, replies_from_rest


def client(handler) -> RasaClient:  # type: ignore[no-untyped-def]
    return RasaClient("http://rasa.test", timeout=1.0, transport=httpx.MockTransport(handler))


def test_send_posts_rest_channel_payload_and_reads_replies() -> None:
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append({"path": request.url.path, "body": json.loads(request.content)})
        return httpx.Response(200, json=[{"recipient_id": "c1", "text": "Hi Ana"},
                                         {"recipient_id": "c1", "custom": {"text": "Try this", "kind": "kb_answer",
                                                                           "article_id": "a1", "feedback": True}}])

    replies = client(handler).send("c1", "hello", {"message_id": 7})
    assert seen == [{"path": "/webhooks/rest/webhook",
                     "body": {"sender": "c1", "message": "hello", "metadata": {"message_id": 7}}}]
    assert replies == [BotReply("Hi Ana"), BotReply("Try this", [], {"kind": "kb_answer", "article_id": "a1",
                                                                        "feedback": True})]


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        (lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused")), "Rasa unreachable: ConnectError"),
        (lambda r: (_ for _ in ()).throw(httpx.ReadTimeout("slow")), "Rasa did not answer within 25s"),
        (lambda r: httpx.Response(500, text="boom"), "Rasa answered HTTP 500"),
        (lambda r: httpx.Response(200, text="not json"), "Rasa sent a reply that is not JSON"),
        (lambda r: httpx.Response(200, json={"a": 1}), "unexpected reply from Rasa: dict"),
    ],
)
def test_send_turns_every_failure_into_dialogue_unavailable(handler, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DialogueUnavailable, match=message):
        client(handler).send("c1", "hello")


def test_replies_from_rest_skips_empty_and_malformed_items() -> None:
    assert replies_from_rest([{"text": "  "}, "junk", {"custom": {"no_text": 1}}, {"text": "ok",
                              "buttons": [{"title": "Yes", "payload": "/affirm"}]}]) == [
        BotReply("ok", [{"title": "Yes", "payload": "/affirm"}])]


class Rasa:
    """A Rasa server behind httpx.MockTransport: its turns take `turn_seconds` (or wait for `release`),
    its health check answers or not, and it counts the turns it got and the most at once."""

    def __init__(self, turn_seconds: float = 0.0, alive: bool = True, refuses: bool = False) -> None:
        import threading

        self.turn_seconds, self.alive, self.refuses = turn_seconds, alive, refuses
        self.release = threading.Event()  # set: a turn ends now (a hung turn is let go at the end of a test)
        self.lock = threading.Lock()
        self.turns = self.now = self.most = self.probes = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.refuses:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == "/":
            self.probes += 1
            if not self.alive:
                raise httpx.ReadTimeout("no answer", request=request)
            return httpx.Response(200, text="Hello from Rasa: 3.6.21")
        with self.lock:
            self.turns += 1
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            self.release.wait(self.turn_seconds)
            return httpx.Response(200, json=[{"text": f"answer to {json.loads(request.content)['message']}"}])
        finally:
            with self.lock:
                self.now -= 1


def rasa_client(server: Rasa, **kw: float) -> RasaClient:
    return RasaClient("http://rasa.test", transport=httpx.MockTransport(server), **kw)  # type: ignore[arg-type]


def test_send_slow_but_alive_rasa_is_waited_for_not_handed_off() -> None:
    from prometheus_client import REGISTRY

    slow_before = REGISTRY.get_sample_value("firstline_rasa_slow_total") or 0.0
    server = Rasa(turn_seconds=1.0)
    client = rasa_client(server, timeout=0.2, patience=30)
    assert client.send("c1", "hello") == [BotReply("answer to hello")]
    assert server.probes >= 1  # the timeout passed: its health check said it is alive, so the turn waited
    assert (REGISTRY.get_sample_value("firstline_rasa_slow_total") or 0.0) > slow_before


def test_send_hung_rasa_fails_fast_and_later_turns_are_not_sent_to_it() -> None:
    server = Rasa(turn_seconds=30, alive=False)  # accepts the turn, then never answers anything
    client = rasa_client(server, timeout=0.2, patience=30)
    try:
        with pytest.raises(DialogueUnavailable, match="fails its health check") as failed:
            client.send("c1", "hello")
        assert failed.value.reason == "timeout" and not isinstance(failed.value, RasaUnreachable)
        with pytest.raises(RasaUnreachable, match="stopped answering its health check"):
            client.send("c2", "hello")  # unsent: a pool may give it to another server
        assert server.turns == 1
    finally:
        server.release.set()
        client.close()


def test_send_refused_is_unreachable_at_once_without_waiting() -> None:
    server = Rasa(refuses=True)
    with pytest.raises(RasaUnreachable, match="ConnectError"):
        rasa_client(server, timeout=5, patience=30).send("c1", "hello")
    assert server.probes == 0


def test_send_slow_beyond_patience_is_dialogue_unavailable() -> None:
    server = Rasa(turn_seconds=30)
    client = rasa_client(server, timeout=0.1, patience=0.5)
    try:
        with pytest.raises(DialogueUnavailable, match=r"did not answer within 0.5s"):
            client.send("c1", "hello")
    finally:
        server.release.set()
        client.close()


def test_send_turns_beyond_max_in_flight_wait_in_the_app_and_the_timeout_counts_from_dispatch() -> None:
    from concurrent.futures import ThreadPoolExecutor

    # Each turn takes 1 s, two at a time: the last two wait 2 s for a slot, 3 s in all, twice the timeout,
    # and its health check would say "down" - so any timeout counted from the call would fail it.
    server = Rasa(turn_seconds=1.0, alive=False)
    client = rasa_client(server, timeout=1.5, patience=30, max_in_flight=2)
    with ThreadPoolExecutor(6) as pool:
        replies = list(pool.map(lambda i: client.send(f"c{i}", f"q{i}"), range(6)))
    assert replies == [[BotReply(f"answer to q{i}")] for i in range(6)]
    assert (server.turns, server.most, server.probes) == (6, 2, 0)
    client.close()
