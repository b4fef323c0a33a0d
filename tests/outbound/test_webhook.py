from __future__ import annotations

import json
from datetime import datetime

import httpx

from outbound import WebhookSender, sign_body, verify_signature
from tests.outbound.servers import http_sink


def _sender(handler, sleeps: list[float], **kw) -> WebhookSender:  # type: ignore[no-untyped-def]
    return WebhookSender("http://hooks.test/in", "k", transport=httpx.MockTransport(handler), sleep=sleeps.append, **kw)


def test_webhook_send_posts_signed_envelope() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    sleeps: list[float] = []
    delivery = _sender(handler, sleeps).send("case.follow_up_due", {"case": "CS-1"})

    assert (
        delivery.ok,
        delivery.channel,
        delivery.target,
        delivery.attempts,
        delivery.error,
        delivery.status_code,
    ) == (True, "webhook", "http://hooks.test/in", 1, None, 200)
    request = seen[0]
    body = request.content
    assert request.headers["X-Firstline-Signature"] == sign_body("k", body)
    assert request.headers["X-Firstline-Event"] == "case.follow_up_due"
    assert request.headers["Content-Type"] == "application/json"
    envelope = json.loads(body)
    assert envelope["event"] == "case.follow_up_due" and envelope["data"] == {"case": "CS-1"}
    assert datetime.fromisoformat(envelope["sent_at"]).utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert sleeps == []


def test_webhook_send_retries_5xx_429_and_connection_errors_with_backoff() -> None:
    answers: list[object] = [
        httpx.ConnectError("refused"),
        httpx.Response(503),
        httpx.Response(429),
        httpx.Response(202),
    ]
    ids: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        ids.append(request.headers["X-Firstline-Delivery"])
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, httpx.Response)
        return answer

    sleeps: list[float] = []
    delivery = _sender(handler, sleeps, attempts=4, backoff_seconds=0.5).send("e", {})

    assert delivery.ok and delivery.attempts == 4 and delivery.status_code == 202
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(set(ids)) == 1  # one delivery id across retries


def test_webhook_send_gives_up_after_attempts_without_raising() -> None:
    sleeps: list[float] = []
    delivery = _sender(lambda r: httpx.Response(500), sleeps, attempts=3, backoff_seconds=1).send("e", {})
    assert (delivery.ok, delivery.attempts, delivery.error, delivery.status_code) == (False, 3, "HTTP 500", 500)
    assert sleeps == [1, 2]


def test_webhook_send_treats_timeout_as_retryable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    sleeps: list[float] = []
    delivery = _sender(handler, sleeps, attempts=2).send("e", {})
    assert not delivery.ok and delivery.attempts == 2 and delivery.error == "timeout: ReadTimeout"
    assert delivery.status_code is None


def test_webhook_send_4xx_is_final() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(410)

    sleeps: list[float] = []
    delivery = _sender(handler, sleeps).send("e", {})
    assert (delivery.ok, delivery.attempts, delivery.error, delivery.status_code) == (False, 1, "HTTP 410", 410)
    assert calls == [1] and sleeps == []


def test_webhook_send_unserialisable_payload_is_a_failed_delivery() -> None:
    calls: list[int] = []
    loop: dict[str, object] = {}
    loop["self"] = loop
    delivery = _sender(lambda r: calls.append(1) or httpx.Response(200), []).send("e", loop)
    assert not delivery.ok and delivery.attempts == 0 and "JSON" in (delivery.error or "")
    assert calls == []


def test_webhook_send_malformed_url_is_a_failed_delivery() -> None:
    delivery = WebhookSender("not a url", "k", sleep=lambda s: None).send("e", {})
    assert not delivery.ok and delivery.error is not None and delivery.attempts == 1


def test_webhook_send_against_real_server_retries_503_and_signature_verifies() -> None:
    sleeps: list[float] = []
    with http_sink("shared-secret", fail_first=1) as sink:
        delivery = WebhookSender(sink.url, "shared-secret", sleep=sleeps.append).send(
            "sms.send", {"to": "+441", "text": "hi"}
        )

    assert delivery.ok and delivery.attempts == 2 and delivery.status_code == 204
    assert sleeps == [0.5]
    assert [r.signature_ok for r in sink.requests] == [True, True]
    first, second = sink.requests
    assert first.headers["x-firstline-delivery"] == second.headers["x-firstline-delivery"]
    assert second.json()["data"] == {"to": "+441", "text": "hi"}
    assert verify_signature("shared-secret", second.body, second.headers["x-firstline-signature"])


def test_webhook_send_against_real_server_with_wrong_secret_is_refused_once() -> None:
    with http_sink("right") as sink:
        delivery = WebhookSender(sink.url, "wrong", sleep=lambda s: None).send("e", {})
    assert (delivery.ok, delivery.attempts, delivery.status_code) == (False, 1, 401)
    assert [r.signature_ok for r in sink.requests] == [False]


def test_webhook_send_to_closed_port_fails_after_retries() -> None:
    from firstline.launch import free_port

    sleeps: list[float] = []
    delivery = WebhookSender(f"http://127.0.0.1:{free_port()}/x", "k", attempts=2, sleep=sleeps.append).send("e", {})
    assert not delivery.ok and delivery.attempts == 2 and delivery.error.startswith("connection error")  # type: ignore[union-attr]
    assert sleeps == [0.5]
