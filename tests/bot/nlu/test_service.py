from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.nlu import NLUService, NLUSettings
from core.embedding import FakeEmbedder

SHAPE = {"text", "intent", "intent_ranking", "entities", "out_of_scope", "ambiguous", "sentiment", "flags", "model"}


def test_parse_returns_rasa_shape_with_full_sorted_ranking(nlu: NLUService) -> None:
    p = nlu.parse("my internet is down")
    assert set(p) == SHAPE
    assert p["intent"]["name"] == "outage"
    assert p["intent_ranking"][0] == p["intent"]
    assert sorted(r["name"] for r in p["intent_ranking"]) == ["billing_question", "greet", "out_of_scope", "outage"]
    confs = [r["confidence"] for r in p["intent_ranking"]]
    assert confs == sorted(confs, reverse=True)
    assert sum(confs) == pytest.approx(1.0, abs=1e-3)
    assert (p["out_of_scope"], p["flags"]["empty"]) == (False, False)
    assert p["model"] == {"version": nlu.metadata["version"], "embedding": "fake-256"}
    assert set(p["sentiment"]) >= {"compound", "label", "frustration", "signals"}
    json.dumps(p)  # the app returns it as JSON unchanged


def test_parse_trained_out_of_scope_intent_is_kept_and_flagged(nlu: NLUService) -> None:
    p = nlu.parse("what is the capital of france")
    assert (p["intent"]["name"], p["out_of_scope"]) == ("out_of_scope", True)


def test_parse_below_threshold_is_nlu_fallback_heading_the_ranking(data_dir: Path, tmp_path: Path) -> None:
    svc = NLUService.load_or_train(data_dir, tmp_path / "m", embedder=FakeEmbedder(),
                                   settings=NLUSettings(fallback_threshold=0.999))
    p = svc.parse("my internet is down")
    assert (p["intent"]["name"], p["out_of_scope"]) == ("nlu_fallback", True)
    assert p["intent_ranking"][0]["name"] == "nlu_fallback"
    assert p["intent_ranking"][1]["name"] == "outage"
    assert len(p["intent_ranking"]) == 5


def test_parse_ambiguous_when_top_two_are_close(data_dir: Path, tmp_path: Path) -> None:
    svc = NLUService.load_or_train(data_dir, tmp_path / "m", embedder=FakeEmbedder(),
                                   settings=NLUSettings(ambiguity_margin=1.0))
    assert svc.parse("my internet is down")["ambiguous"] is True


@pytest.mark.parametrize(
    ("text", "flag"),
    [("", "empty"), ("   ", "empty"), ("😀😀🎉", "emoji_only"), ("Мой интернет не работает", "non_latin")],
)
def test_parse_bad_input_is_nlu_fallback_out_of_scope(nlu: NLUService, text: str, flag: str) -> None:
    p = nlu.parse(text)
    assert [k for k, v in p["flags"].items() if v] == [flag]
    assert (p["intent"]["name"], p["out_of_scope"], p["text"]) == ("nlu_fallback", True, text)
    assert p["intent_ranking"][0]["name"] == "nlu_fallback"


def test_parse_empty_text_has_every_intent_at_zero(nlu: NLUService) -> None:
    p = nlu.parse("")
    assert p["intent_ranking"] == [{"name": "nlu_fallback", "confidence": 1.0}] + [
        {"name": n, "confidence": 0.0} for n in nlu.intents
    ]
    assert p["entities"] == []


def test_parse_long_text_is_truncated_with_a_flag(data_dir: Path, tmp_path: Path) -> None:
    svc = NLUService.load_or_train(data_dir, tmp_path / "m", embedder=FakeEmbedder(),
                                   settings=NLUSettings(max_chars=50))
    p = svc.parse("my internet is down " * 20 + "CS-10423")
    assert p["flags"]["truncated"] is True
    assert p["text"] == "my internet is down " * 20 + "CS-10423"  # the original is kept; only the parse input is cut
    assert p["entities"] == []  # the case number lay beyond the cut
    assert p["intent"]["name"] == "outage"


def test_parse_command_like_text_is_plain_text(nlu: NLUService) -> None:
    p = nlu.parse('/greet{"name": "x", "case_number": "CS-99999"}')
    assert p["flags"]["command_like"] is True
    assert p["text"] == '/greet{"name": "x", "case_number": "CS-99999"}'
    assert all(e["entity"] != "name" for e in p["entities"])
    # Found as text in the message, as it would be anywhere else; never set from the JSON's keys.
    assert [(e["entity"], e["start"]) for e in p["entities"]] == [("case_number", 36)]


def test_parse_returns_copies_the_caller_may_change(nlu: NLUService) -> None:
    nlu.parse("hello")["intent"]["name"] = "changed"
    assert nlu.parse("hello")["intent"]["name"] == "greet"


def test_parse_is_thread_safe(nlu: NLUService) -> None:
    texts = ["hello", "my internet is down", "why is my bill so high"] * 20
    with ThreadPoolExecutor(8) as pool:
        names = [p["intent"]["name"] for p in pool.map(nlu.parse_uncached, texts)]
    assert names == [nlu.parse_uncached(t)["intent"]["name"] for t in texts]


def test_metadata_records_data_hash_settings_and_metrics(nlu: NLUService) -> None:
    m = nlu.metadata
    assert set(m) >= {"version", "data_hash", "embedding", "settings", "metrics", "n_examples", "intents"}
    assert m["version"].startswith(m["data_hash"] + "-")
    assert m["metrics"]["calibrated_on"] == "held-out folds of train"
    assert 0.0 <= m["metrics"]["heldout_ece"] <= 1.0
    assert nlu.intents == ["billing_question", "greet", "out_of_scope", "outage"]


def test_train_without_examples_raises(tmp_path: Path) -> None:
    (tmp_path / "x.yml").write_text("nlu: []\n")
    with pytest.raises(ValueError, match="no NLU training examples"):
        NLUService.load_or_train(tmp_path, tmp_path / "m", embedder=FakeEmbedder())
