"""The shared metrics: Rasa calls and failures, NLU parse latency, and adding up several workers' values."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY

from bot.dialogue import DialogueUnavailable, RasaClient

ROOT = Path(__file__).resolve().parents[2]


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def rasa(handler) -> RasaClient:  # type: ignore[no-untyped-def]
    return RasaClient("http://rasa.test", timeout=1.0, transport=httpx.MockTransport(handler))


def test_metrics_rasa_calls_are_timed_and_failures_counted_by_reason() -> None:
    calls = value("firstline_rasa_request_duration_seconds_count")
    failures = {r: value("firstline_rasa_failures_total", reason=r) for r in ("timeout", "unreachable", "http_status")}

    rasa(lambda req: httpx.Response(200, json=[{"text": "hi"}])).send("c1", "hello")

    def timeout(req: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=req)

    def refused(req: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=req)

    for handler in (timeout, refused, lambda req: httpx.Response(502), lambda req: httpx.Response(500)):
        with pytest.raises(DialogueUnavailable):
            rasa(handler).send("c1", "hello")
    assert value("firstline_rasa_request_duration_seconds_count") - calls == 5
    assert value("firstline_rasa_failures_total", reason="timeout") - failures["timeout"] == 1
    assert value("firstline_rasa_failures_total", reason="unreachable") - failures["unreachable"] == 1
    assert value("firstline_rasa_failures_total", reason="http_status") - failures["http_status"] == 2


def test_metrics_nlu_parse_is_timed_cache_hits_included(tmp_path: Path) -> None:
    from bot.nlu import NLUService, NLUSettings
    from core.embedding import FakeEmbedder
    from tests.bot.nlu.conftest import DATA

    (tmp_path / "all.yml").write_text(DATA)
    svc = NLUService.load_or_train(tmp_path, tmp_path / "models", embedder=FakeEmbedder(), settings=NLUSettings())
    before = value("firstline_nlu_parse_duration_seconds_count")
    svc.parse("my internet is down")
    svc.parse("my internet is down")
    assert value("firstline_nlu_parse_duration_seconds_count") - before == 2


def test_metrics_several_workers_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    """Two worker processes count handoffs and set the surge gauge; a third scrapes the sum."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"), "PYTHONPATH": str(ROOT)}
    (tmp_path / "prom").mkdir()
    worker = textwrap.dedent("""
        import sys
        from core.metrics import HANDOFFS, SURGE_ACTIVE
        HANDOFFS.labels("asked_for_human", "agent").inc(int(sys.argv[1]))
        SURGE_ACTIVE.set(int(sys.argv[2]))
    """)
    for n, surge in ((2, 0), (3, 1)):
        subprocess.run([sys.executable, "-c", worker, str(n), str(surge)], env=env, check=True, timeout=60)
    scrape = "from web.metrics import exposition; print(exposition(None).decode())"
    out = subprocess.run([sys.executable, "-c", scrape], env=env, check=True, timeout=60, capture_output=True,
                         text=True).stdout
    assert 'firstline_handoffs_total{outcome="agent",trigger="asked_for_human"} 5.0' in out
    assert "firstline_surge_active 1.0" in out
