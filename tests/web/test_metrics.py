"""/metrics after real traffic through the app: exact counter moves, route templates, state gauges, access."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot.escalation_gate import Gate
from core.db import Database
from core.embedding import FakeEmbedder
from core.settings import CoreSettings
from tests import factories, fakes
from tests.conftest import make_settings
from web.app import create_app
from web.metrics import exposition

LOOPBACK = ("127.0.0.1", 50000)


def sample(text: str, name: str, **labels: str) -> float:
    """Return the value of one sample in a scrape (0 when absent, as Prometheus treats a new series)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


def app_for(settings: CoreSettings, db: Database, client: tuple[str, int] = LOOPBACK) -> TestClient:
    def factory(st: CoreSettings):  # type: ignore[no-untyped-def]
        from escalation import register

        rt = fakes.runtime(st, db)
        rt.embedder = FakeEmbedder()
        gate = Gate(rt)  # the real escalation gate and service: they publish the handoff events
        register(rt.bus, db, gate.settings)
        rt.extras["escalation_gate"] = gate
        return rt

    return TestClient(create_app(settings, runtime_factory=factory), base_url="http://testserver", client=client)


@pytest.fixture
def local(settings: CoreSettings, db: Database) -> Iterator[TestClient]:
    with db.session() as s:
        factories.agent(s, "maria", display_name="Maria Lopez")
    with app_for(settings, db) as client:
        yield client


def test_metrics_count_one_handoff_by_its_trigger_after_real_traffic(local: TestClient) -> None:
    before = local.get("/metrics").text
    r = local.post("/api/conversations", json={})
    cid, headers = r.json()["conversation_id"], {"X-Conversation-Token": r.json()["token"]}
    assert local.post(f"/api/conversations/{cid}/messages", json={"text": "hello"}, headers=headers).status_code == 201
    r = local.post(f"/api/conversations/{cid}/messages", json={"text": "I want a human please"}, headers=headers)
    assert r.status_code == 201 and r.json()["status"] == "queued"
    after = local.get("/metrics").text

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("firstline_handoffs_total", trigger="asked_for_human", outcome="agent") == 1
    assert moved("firstline_handoffs_total", trigger="asked_for_human", outcome="case") == 0
    assert moved("firstline_turn_duration_seconds_count", outcome="replied") == 1
    assert moved("firstline_turn_duration_seconds_count", outcome="handed_off") == 1
    template = "/api/conversations/{conversation_id}/messages"
    assert moved("firstline_http_request_duration_seconds_count", method="POST", route=template, status="201") == 2
    assert moved("firstline_http_request_duration_seconds_count", method="POST", route="/api/conversations",
                 status="201") == 1
    assert cid not in after  # never a raw path as a label
    assert sample(after, "firstline_queue_length") == 1
    assert sample(after, "firstline_agents_online") == 1
    assert sample(after, "firstline_agents", status="online") == 1


def test_metrics_label_unknown_paths_as_unmatched(local: TestClient) -> None:
    before = local.get("/metrics").text
    for i in range(3):
        assert local.get(f"/no/such/page/{i}").status_code == 404
    after = local.get("/metrics").text
    key = {"method": "GET", "route": "unmatched", "status": "404"}
    assert sample(after, "firstline_http_request_duration_seconds_count", **key) - sample(
        before, "firstline_http_request_duration_seconds_count", **key) == 3
    assert "/no/such/page" not in after


def test_metrics_local_mode_without_token_answers_loopback_only(settings: CoreSettings, db: Database) -> None:
    with app_for(settings, db, client=("203.0.113.7", 40000)) as client:
        r = client.get("/metrics")
    assert r.status_code == 403 and "loopback" in r.json()["detail"]


def test_metrics_production_mode_without_token_is_refused(tmp_path: Path, db: Database) -> None:
    with app_for(make_settings(tmp_path, mode="production", secret_key="a-production-grade-test-secret"), db) as client:
        r = client.get("/metrics")
    assert r.status_code == 403 and "FIRSTLINE_METRICS_TOKEN" in r.json()["detail"]


def test_metrics_with_a_token_refuse_a_missing_or_wrong_bearer(tmp_path: Path, db: Database,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRSTLINE_METRICS_TOKEN", "scrape-secret-1")
    with app_for(make_settings(tmp_path, mode="production", secret_key="a-production-grade-test-secret"), db) as client:
        assert client.get("/metrics").status_code == 401
        r = client.get("/metrics", headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert client.get("/metrics", headers={"Authorization": "Basic scrape-secret-1"}).status_code == 401
        r = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-1"})
        assert r.status_code == 200 and "firstline_queue_length" in r.text


def test_metrics_follow_ups_due_and_overdue_come_from_open_cases(db: Database) -> None:
    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    with db.session() as s:
        c = factories.customer(s)
        factories.case(s, c, "CS-1", promised_by=now + timedelta(hours=2))
        factories.case(s, c, "CS-2", promised_by=now - timedelta(minutes=1))
        factories.case(s, c, "CS-3", promised_by=now - timedelta(days=1))
        factories.case(s, c, "CS-4", promised_by=now - timedelta(days=1), status="closed")
        factories.case(s, c, "CS-5")  # no promise: not a follow-up
    text = exposition(db, now).decode()
    assert sample(text, "firstline_followups_due") == 1
    assert sample(text, "firstline_followups_overdue") == 2


def test_metrics_queue_wait_counts_from_the_latest_handoff(db: Database) -> None:
    from tests.insights.dashboard_data import NOW, seed

    with db.session() as s:
        seed(s)
    text = exposition(db, NOW).decode()
    assert sample(text, "firstline_queue_length") == 1
    assert sample(text, "firstline_queue_oldest_wait_seconds") == 600
    assert sample(text, "firstline_surge_active") == 0  # defined here, set by surge detection
