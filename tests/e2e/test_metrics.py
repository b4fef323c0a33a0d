"""/metrics of the real product (local mode, scraped from loopback) after a real conversation through Rasa."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import Product

pytestmark = pytest.mark.e2e


def total(text: str, name: str, **labels: str) -> float:
    return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
               if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


def test_product_metrics_move_with_a_real_turn_and_handoff(product: Product) -> None:
    with httpx.Client(base_url=product.base, timeout=30) as client:
        before = client.get("/metrics")
        assert before.status_code == 200 and before.headers["content-type"].startswith("text/plain")
        r = client.post("/api/conversations", json={})
        cid, auth = r.json()["conversation_id"], {"X-Conversation-Token": r.json()["token"]}
        reply = client.post(f"/api/conversations/{cid}/messages", json={"text": "hello"}, headers=auth)
        assert reply.status_code == 201 and any(m["sender"] == "bot" for m in reply.json()["messages"])
        handed = client.post(f"/api/conversations/{cid}/messages", json={"text": "I want to talk to a real person"},
                             headers=auth)
        assert handed.status_code == 201 and handed.json()["status"] == "queued"
        after = client.get("/metrics").text

    def moved(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before.text, name, **labels)

    assert moved("firstline_turn_duration_seconds_count", outcome="replied") == 1
    assert moved("firstline_turn_duration_seconds_count", outcome="handed_off") == 1
    assert moved("firstline_handoffs_total", trigger="asked_for_human") == 1  # to a named agent or a case
    assert moved("firstline_rasa_request_duration_seconds_count") >= 1  # the greeting went through Rasa
    assert moved("firstline_nlu_parse_duration_seconds_count") >= 2  # both messages were parsed
    assert total(after, "firstline_rasa_failures_total") == total(before.text, "firstline_rasa_failures_total")
