from __future__ import annotations

import json

import httpx
import pytest

from bot.dialogue import BotReply, DialogueUnavailable, RasaClient, replies_from_rest


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
        (lambda r: (_ for _ in ()).throw(httpx.ReadTimeout("slow")), "Rasa did not answer within 1.0s"),
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
