"""The learned dissatisfaction estimate: its context features, training, persistence and trigger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.embedding import FakeEmbedder
from escalation import Turn, assess
from escalation import dissatisfaction as d

FB = "Sorry, I didn't understand that. Could you say it another way?"
ANSWER = "To restart your router, switch it off at the wall."


def parse(text: str) -> dict[str, Any]:
    return {"sentiment": {"compound": -0.5 if "useless" in text.lower() else 0.0, "frustration": 0.0}}


def feats(turns: list[dict[str, Any]]) -> dict[str, float]:
    users = [t for t in turns if t["role"] == "user"]
    ctx = d.contexts_from_dialogue(turns, [parse(t["text"]) for t in users])[-1]
    return dict(zip(d.FEATURES, d.context_features(ctx, 0.0), strict=True))


def test_features_correction_after_a_miss() -> None:
    f = feats([{"role": "user", "text": "the thingy blinks"}, {"role": "bot", "text": FB},
               {"role": "user", "text": "no, the little light on the modem"}])
    assert (f["previous_reply_missed"], f["correction"], f["misses_so_far"]) == (1.0, 1.0, pytest.approx(1 / 3))


def test_features_capitals_and_emphasis() -> None:
    f = feats([{"role": "user", "text": "ORANGE LIGHT. FLASHING. WHAT DOES IT MEAN!!"}])
    assert f["capitals"] == 1.0 and f["exclamations"] == 0.5 and f["previous_reply_missed"] == 0.0


def test_features_bot_repeated_itself_and_a_given_kind_wins_over_the_text() -> None:
    turns = [{"role": "user", "text": "a"}, {"role": "bot", "text": ANSWER, "kind": "kb_answer"},
             {"role": "user", "text": "b"}, {"role": "bot", "text": ANSWER, "kind": "kb_answer"},
             {"role": "user", "text": "you said that already"}]
    f = feats(turns)
    assert (f["bot_repeated_itself"], f["previous_reply_missed"], f["correction"]) == (1.0, 0.0, 1.0)


def test_features_plain_thanks_after_an_answer_is_calm() -> None:
    f = feats([{"role": "user", "text": "how do I restart"}, {"role": "bot", "text": ANSWER},
               {"role": "user", "text": "great, thanks"}])
    assert f["correction"] == f["previous_reply_missed"] == f["capitals"] == f["negations"] == 0.0


def test_load_dialogues_names_the_line_of_a_bad_dialogue(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": "a", "turns": []}\n{"id": "b", "turns": [{"role": "agent", "text": "x"}]}\n')
    with pytest.raises(ValueError, match=r"d.jsonl:2: each turn needs role"):
        d.load_dialogues(path)
    path.write_text('{"id": "a", "turns": [{"role": "user", "text": "x", "label": 2}]}\n')
    with pytest.raises(ValueError, match=r"d.jsonl:1: label must be 0 or 1"):
        d.load_dialogues(path)


def dialogues(n: int) -> list[dict[str, Any]]:
    calm = ["how do I pay my bill", "thanks, that's great", "ok cheers", "lovely, bye"]
    cross = ["no, that's not what I asked", "I ALREADY SAID THAT!!", "still not answering me", "useless"]
    out = []
    for i in range(n):
        out.append({"id": f"c{i}", "turns": [{"role": "user", "text": calm[i % 4], "label": 0},
                                             {"role": "bot", "text": ANSWER},
                                             {"role": "user", "text": calm[(i + 1) % 4], "label": 0}]})
        out.append({"id": f"x{i}", "turns": [{"role": "user", "text": "my router", "label": 0},
                                             {"role": "bot", "text": FB},
                                             {"role": "user", "text": cross[i % 4], "label": 1}]})
    return out


@pytest.fixture(scope="module")
def trained() -> tuple[d.DissatisfactionModel, Any]:
    data = d.dataset(dialogues(10), parse, FakeEmbedder().encode)
    return d.train(*data), data


def test_train_separates_cross_turns_and_explains_with_named_features(trained: Any) -> None:
    model, (ctx, emb, y, _) = trained
    assert (len(y), int(y.sum())) == (40, 10)
    p = model.predict(ctx, emb)
    assert (p[y == 1].min() > model.threshold) and (p[y == 0].max() < model.threshold)
    names = [name for name, _ in model.explain(ctx[int(np.argmax(y))], emb[int(np.argmax(y))])]
    assert names and set(names) <= {*d.FEATURES, "wording"}


def test_load_or_train_persists_and_reuses_the_model(tmp_path: Path) -> None:
    data = tmp_path / "dialogues.jsonl"
    data.write_text("\n".join(json.dumps(x) for x in dialogues(6)))
    said: list[str] = []
    first = d.load_or_train(data, tmp_path / "m", parse, FakeEmbedder(), said.append)
    second = d.load_or_train(data, tmp_path / "m", parse, FakeEmbedder(), said.append)
    assert said[0].startswith("dissatisfaction model trained on 24 turns")
    assert said[1].startswith("dissatisfaction model is up to date")
    assert second.threshold == first.threshold


def test_trigger_hands_off_after_the_reply_with_its_reasons(trained: Any) -> None:
    model = trained[0]
    history = [Turn("my router", "outage", 0.9, bot_reply_kinds=("fallback",), bot_reply=FB)]
    before = Turn("no, that's not what I asked", "outage", 0.9)
    after = Turn("no, that's not what I asked", "outage", 0.9, bot_reply_kinds=("fallback",), bot_reply=FB)
    assert assess(history, before, embedder=FakeEmbedder(), dissatisfaction=model).handoff is False
    decision = assess(history, after, embedder=FakeEmbedder(), dissatisfaction=model)
    assert decision.trigger == "negative_sentiment"
    assert decision.reason is not None and decision.reason.startswith("Customer seems dissatisfied (")
    calm = Turn("thanks, that's great", "thanks", 0.9, bot_reply_kinds=("reply",))
    assert assess([history[0]], calm, embedder=FakeEmbedder(), dissatisfaction=model).handoff is False



def test_trigger_one_dissatisfied_turn_the_bot_answered_waits_for_a_second(trained: Any) -> None:
    model = trained[0]
    first = Turn("my router", "outage", 0.9, bot_reply_kinds=("fallback",), bot_reply=FB)
    cross = Turn("no, that's not what I asked", "outage", 0.9, bot_reply_kinds=("kb_answer",), bot_reply=ANSWER)
    assert assess([first], cross, embedder=FakeEmbedder(), dissatisfaction=model).handoff is False
    again = Turn("I ALREADY SAID THAT!!", "outage", 0.9, bot_reply_kinds=("kb_answer",), bot_reply=ANSWER)
    assert assess([first, cross], again, embedder=FakeEmbedder(), dissatisfaction=model).trigger == "negative_sentiment"


def test_trigger_needs_a_conversation_not_wording_alone(trained: Any) -> None:
    model, emb = trained[0], FakeEmbedder()
    cross = Turn("I ALREADY SAID THAT!!", "outage", 0.9, bot_reply_kinds=("fallback",), bot_reply=FB)
    hello = Turn("hello", "greet", 0.9, bot_reply_kinds=("greeting",))
    assert d.estimate([], cross, model, emb).dissatisfied and d.estimate([hello], cross, model, emb).dissatisfied
    # The first real message (alone, or after a greeting) is read as dissatisfied but does not hand off.
    assert assess([], cross, embedder=emb, dissatisfaction=model).handoff is False
    assert assess([hello], cross, embedder=emb, dissatisfaction=model).handoff is False
    first = Turn("my router", "outage", 0.9, bot_reply_kinds=("fallback",), bot_reply=FB)
    assert assess([first], cross, embedder=emb, dissatisfaction=model).trigger == "negative_sentiment"


@pytest.mark.parametrize(("text", "loud"), [
    ("done that ALREADY", True),
    ("ARE YOU EVEN LISTENING", True),
    ("ok!!", True),
    ("really?!", True),
    ("ok thanks", False),
    ("yes I did", False),
    ("is this a bot? it's on HDMI 2", False),  # an acronym is not shouting
    ("OK", False),  # too short to call shouting
])
def test_emphatic_is_capitals_a_shouted_word_or_emphatic_punctuation(text: str, loud: bool) -> None:
    from escalation.triggers import emphatic

    assert emphatic(text) is loud


def test_emphatic_capitals_are_measured_against_how_the_customer_writes() -> None:
    from escalation.triggers import emphatic

    assert emphatic("ARE YOU EVEN LISTENING", ["my router light is red", "done that ALREADY"]) is True
    assert emphatic("THANKS", ["HELLO", "HOW MUCH IS THE FASTEST PLAN"]) is False  # writes in capitals
    assert emphatic("THANKS!!", ["HELLO", "HOW MUCH IS THE FASTEST PLAN"]) is True


def test_trigger_judges_shouted_small_talk_and_skips_calm_small_talk(trained: Any) -> None:
    model, emb = trained[0], FakeEmbedder()
    first = Turn("my router", "outage", 0.9, bot_reply_kinds=("fallback",), bot_reply=FB)
    shouted = Turn("I ALREADY SAID THAT!!", "affirm", 0.9, bot_reply_kinds=("fallback",), bot_reply=FB)
    calm = Turn("no, that's not what I asked", "affirm", 0.9, bot_reply_kinds=("fallback",), bot_reply=FB)
    assert d.estimate([first], shouted, model, emb).dissatisfied and d.estimate([first], calm, model, emb).dissatisfied
    # The model reads both as dissatisfied; only the shouted one counts, as small talk said calmly is skipped.
    assert assess([first], shouted, embedder=emb, dissatisfaction=model).trigger == "negative_sentiment"
    assert assess([first], calm, embedder=emb, dissatisfaction=model).trigger != "negative_sentiment"


def test_load_or_train_retrains_when_the_parse_sentiment_changes(tmp_path: Path) -> None:
    data = tmp_path / "dialogues.jsonl"
    data.write_text("\n".join(json.dumps(x) for x in dialogues(6)))
    said: list[str] = []

    def harsher(text: str) -> dict[str, Any]:
        return {"sentiment": {"compound": -0.9 if "dead" in text else 0.0, "frustration": 0.0}}

    d.load_or_train(data, tmp_path / "m", parse, FakeEmbedder(), said.append)
    d.load_or_train(data, tmp_path / "m", harsher, FakeEmbedder(), said.append)
    assert [m.split(" (")[0] for m in said] == ["dissatisfaction model trained on 24 turns"] * 2
    assert len(list((tmp_path / "m").glob("dissatisfaction-*.joblib"))) == 2
