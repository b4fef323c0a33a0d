"""The product's NLU with the real all-MiniLM-L6-v2 model on the demo data."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.nlu import NLUService, NLUSettings
from core.embedding import get_embedder

DEMO = Path(__file__).resolve().parents[3] / "data" / "nlu"
pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[NLUService, float, Path]:
    model_dir = tmp_path_factory.mktemp("models")
    embedder = get_embedder("bundled")
    t0 = time.perf_counter()
    svc = NLUService.load_or_train(DEMO, model_dir, embedder=embedder, settings=NLUSettings(embedding_model="bundled"))
    return svc, time.perf_counter() - t0, model_dir


def test_demo_model_loads_without_retraining(trained: tuple[NLUService, float, Path]) -> None:
    messages: list[str] = []
    NLUService.load_or_train(DEMO, trained[2], embedder=get_embedder("bundled"),
                             settings=NLUSettings(embedding_model="bundled"), progress=messages.append)
    assert messages[0].startswith("NLU model is up to date")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("my broadband has been dead since this morning", "outage"),
        ("can I speak to a real person please", "request_human"),
        ("why did my bill go up", "billing_question"),
    ],
)
def test_demo_model_understands_paraphrases(trained: tuple[NLUService, float, Path], text: str, intent: str) -> None:
    assert trained[0].parse(text)["intent"]["name"] == intent


def test_demo_model_does_not_claim_unrelated_questions(trained: tuple[NLUService, float, Path]) -> None:
    p = trained[0].parse("how many moons does jupiter have")
    assert p["out_of_scope"] is True
    assert p["intent"]["name"] in ("out_of_scope", "nlu_fallback")


@pytest.mark.parametrize(
    "text",
    [
        "my broadband has been dead since this morning",
        "why did my bill go up",
        "the light on my router keeps flashing orange",
        "how do I restart my router?",
        "can I pay my bill by direct debit",
    ],
)
def test_demo_model_capitals_and_emphasis_parse_as_the_plain_message(
        trained: tuple[NLUService, float, Path], text: str) -> None:
    # Issue 13: a shouted message must mean what the lower-case one means (the sentiment may differ).
    plain = trained[0].parse(text)
    for variant in (text.upper(), text.upper().rstrip("?") + "!!!", text.replace(" ", ". ", 1).upper()):
        loud = trained[0].parse(variant)
        assert (loud["intent"]["name"], loud["out_of_scope"]) == (plain["intent"]["name"], plain["out_of_scope"])
        assert abs(loud["intent"]["confidence"] - plain["intent"]["confidence"]) < 0.1
