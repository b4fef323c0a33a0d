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


def test_parse_below_threshold_is_nlu_fallback_with_the_threshold_as_confidence(nlu: NLUService, data_dir: Path,
                                                                                 tmp_path: Path) -> None:
    svc = NLUService.load_or_train(data_dir, tmp_path / "m", embedder=FakeEmbedder(),
                                   settings=NLUSettings(fallback_threshold=0.999))
    p = svc.parse("my internet is down")
    assert (p["intent"]["name"], p["out_of_scope"]) == ("nlu_fallback", True)
    # As Rasa's FallbackClassifier: the fallback carries the threshold, the real intents keep theirs.
    assert p["intent"]["confidence"] == 0.999
    assert p["intent_ranking"][0] == {"name": "nlu_fallback", "confidence": 0.999}
    assert p["intent_ranking"][1:] == nlu.parse("my internet is down")["intent_ranking"]


def test_parse_ambiguous_exactly_when_top_two_are_within_the_margin(data_dir: Path, tmp_path: Path) -> None:
    def parse(margin: float) -> dict:
        return NLUService.load_or_train(data_dir, tmp_path / "m", embedder=FakeEmbedder(),
                                        settings=NLUSettings(ambiguity_margin=margin)).parse("the weather in paris")

    ranking = parse(0.1)["intent_ranking"]
    gap = ranking[0]["confidence"] - ranking[1]["confidence"]
    assert 0.0 < gap < 0.1  # outage against out_of_scope: close on the fake embedder
    assert parse(0.1)["ambiguous"] is True
    assert parse(gap - 0.01)["ambiguous"] is False


def test_parse_clear_message_is_not_ambiguous(nlu: NLUService) -> None:
    assert nlu.parse("hello")["ambiguous"] is False


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
    threshold = round(nlu.model.detector.min_confidence, 4)
    assert p["intent_ranking"] == [{"name": "nlu_fallback", "confidence": threshold}] + [
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


def test_parse_is_thread_safe_while_the_cache_churns(data_dir: Path, tmp_path: Path) -> None:
    # A cache of 3 for 12 distinct texts: threads insert, hit and evict the shared cache at once.
    svc = NLUService.load_or_train(data_dir, tmp_path / "m", embedder=FakeEmbedder(),
                                   settings=NLUSettings(cache_size=3))
    texts = [f"{t} {i}" for i in range(4) for t in ("hello", "my internet is down", "why is my bill so high")] * 25
    expected = {t: svc.parse_uncached(t) for t in set(texts)}
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(svc.parse, texts))
    assert [r["intent"] for r in results] == [expected[t]["intent"] for t in texts]
    assert [r["intent_ranking"] for r in results] == [expected[t]["intent_ranking"] for t in texts]
    assert len(svc._cache) == 3


def test_parse_cache_forgets_an_erased_customers_texts_and_keeps_others(nlu: NLUService) -> None:
    nlu.clear()
    nlu.parse("my internet is down since Monday, ref 51c0")
    nlu.parse("hello")
    assert nlu.holding(["My internet is down since Monday, ref 51C0!"]) == 1
    assert nlu.forget(["My internet is down since Monday, ref 51C0!"]) == 1
    assert nlu.holding(["My internet is down since Monday, ref 51C0!"]) == 0
    assert list(nlu._cache) == ["hello"]
    nlu.clear()
    assert not nlu._cache


def test_metadata_records_data_hash_settings_and_metrics(nlu: NLUService) -> None:
    m = nlu.metadata
    assert set(m) >= {"version", "data_hash", "embedding", "settings", "metrics", "n_examples", "intents"}
    assert m["version"].startswith(m["data_hash"] + "-")
    assert m["metrics"]["calibrated_on"] == "held-out folds of train"
    assert m["metrics"]["heldout_n"] == 23  # every example held out once (5 folds)
    assert m["metrics"]["detector"] == "validation-oos-keep"  # the trained out_of_scope examples were held out too
    assert m["metrics"]["temperature"] != 1.0
    assert "not_in_heldout" not in m["metrics"]
    assert nlu.intents == ["billing_question", "greet", "out_of_scope", "outage"]


def test_train_without_examples_raises(tmp_path: Path) -> None:
    (tmp_path / "x.yml").write_text("nlu: []\n")
    with pytest.raises(ValueError, match="no NLU training examples"):
        NLUService.load_or_train(tmp_path, tmp_path / "m", embedder=FakeEmbedder())


def _intent(name: str, texts: list[str]) -> str:
    return f"- intent: {name}\n  examples: |\n" + "".join(f"    - {t}\n" for t in texts)


IN_SCOPE_ONLY = 'version: "3.1"\nnlu:\n' + _intent("outage", [
    "my internet is down", "internet down again", "broadband is down", "no internet at home", "the internet stopped",
    "internet outage here", "is the broadband down", "internet not working", "broadband not working",
    "my broadband stopped"]) + _intent("billing_question", [
    "why is my bill so high", "my bill is wrong", "bill went up", "charged twice on my bill", "explain my bill",
    "bill too high", "refund my bill", "the bill is wrong again", "a charge on my bill", "my bill doubled"])


def test_out_of_scope_is_rejected_without_any_out_of_scope_training_examples(tmp_path: Path) -> None:
    (tmp_path / "nlu.yml").write_text(IN_SCOPE_ONLY)
    svc = NLUService.load_or_train(tmp_path / "nlu.yml", tmp_path / "m", embedder=FakeEmbedder(),
                                   settings=NLUSettings())
    assert svc.intents == ["billing_question", "outage"]
    assert svc.model.detector.method == "validation-in-scope"
    unrelated = svc.parse("recipe for lasagne with spinach")
    assert (unrelated["intent"]["name"], unrelated["out_of_scope"]) == ("nlu_fallback", True)
    assert svc.parse("my internet is down")["intent"]["name"] == "outage"
    assert svc.parse("my bill is wrong")["intent"]["name"] == "billing_question"


def test_one_example_intent_is_trained_and_named_while_calibration_stays_on(tmp_path: Path) -> None:
    (tmp_path / "nlu.yml").write_text(IN_SCOPE_ONLY + _intent("greet", ["hello"]))
    svc = NLUService.load_or_train(tmp_path / "nlu.yml", tmp_path / "m", embedder=FakeEmbedder())
    m = svc.metadata["metrics"]
    assert m["calibrated_on"] == "held-out folds of train"
    assert m["not_in_heldout"] == ["greet"]
    assert m["heldout_n"] == 20
    assert svc.parse("hello")["intent_ranking"][0]["name"] == "greet"


def test_parse_with_a_learned_detector_gives_nlu_fallback_the_confidence_this_message_needed(nlu: NLUService) -> None:
    import copy
    import dataclasses
    from collections import OrderedDict

    from bot.nlu.out_of_scope import OutOfScopeDetector

    text = "my internet is down"
    probs, sim = nlu.model.predict(nlu.classifier_input([text]), [text])
    p_oos = nlu.model.oos_prob(probs)
    assert p_oos is not None
    base = OutOfScopeDetector(min_confidence=0.05, weights=(-1.0, -4.0, 1.0), bias=0.5)
    score = float(base.score(probs.max(axis=1), sim, p_oos)[0])
    for margin, fires in ((-0.1, True), (0.1, False)):
        svc = copy.copy(nlu)
        svc._cache = OrderedDict()
        svc.model = copy.copy(nlu.model)
        svc.model.detector = dataclasses.replace(base, threshold=score + margin)
        p = svc.parse(text)
        if fires:
            needed = svc.model.detector.confidence_needed(float(sim[0]), float(p_oos[0]))
            assert needed > float(probs.max())  # the message fell short of what its evidence required
            assert (p["intent"], p["out_of_scope"]) == ({"name": "nlu_fallback", "confidence": round(needed, 4)}, True)
            assert p["intent_ranking"][0] == p["intent"]
        else:
            assert (p["intent"]["name"], p["out_of_scope"]) == ("outage", False)


def test_a_live_parse_leaves_the_text_as_written_in_the_shared_vector_cache(nlu: NLUService, data_dir: Path,
                                                                             tmp_path: Path) -> None:
    """The knowledge base and the escalation policy encode the message as written right after the
    parse: the parse's one forward pass carries it, and the parse itself does not change."""
    from core.embedding_cache import CachedEmbedder

    shared = CachedEmbedder(FakeEmbedder())
    svc = NLUService.load_or_train(data_dir, tmp_path / "models", embedder=shared, settings=NLUSettings())
    raw = "My internet is DOWN!!"
    assert svc.parse(raw) == nlu.parse(raw)
    assert list(shared._lru) == [raw]
    assert svc.parse_many(["Hello there", "my bill is wrong"]) == nlu.parse_many(["Hello there", "my bill is wrong"])
    assert list(shared._lru) == [raw]  # batches (evaluation, replays) keep nothing
