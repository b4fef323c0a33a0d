"""`firstline escalation evaluate` on a small file with exact expected counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.replay import add_commands, bot_kind, format_report, replay
from core.embedding import FakeEmbedder
from escalation.dissatisfaction import load_dialogues
from tests.fakes import FakeNLU

FB = "Sorry, I didn't understand that. Could you say it another way?"
DIALOGUES = [
    # asks for a person at once (label 1): asked_for_human
    {"id": "a", "turns": [{"role": "user", "text": "I want to talk to a real person", "label": 1}]},
    # two misses (second labelled 1): repeated_fallback once the bot has missed again
    {"id": "b", "turns": [{"role": "user", "text": "the thingy blinks", "label": 0}, {"role": "bot", "text": FB},
                          {"role": "user", "text": "the box thing blinks", "label": 1}, {"role": "bot", "text": FB}]},
    # calm: an answer, then thanks; an email address is not a request for a person
    {"id": "c", "turns": [{"role": "user", "text": "hi, my email is jo@example.com", "label": 0},
                          {"role": "bot", "text": "Thanks, got that. What can I help you with today?"},
                          {"role": "user", "text": "my bill please", "label": 0},
                          {"role": "bot", "text": "Your bill lists monthly charges.", "kind": "kb_answer"},
                          {"role": "user", "text": "thanks"}]},
]


class BatchNLU(FakeNLU):
    def parse_many(self, texts: list[str]) -> list[dict[str, Any]]:
        return [self.parse(t) for t in texts]


def test_replay_counts_handoffs_and_triggers_exactly() -> None:
    r = replay(DIALOGUES, BatchNLU(), FakeEmbedder(), None)
    assert (r["dialogues"], r["user_turns"], r["labelled_turns"], r["dissatisfied_turns"]) == (3, 6, 5, 2)
    assert {k: r["would_hand_off"][k] for k in ("tp", "fp", "fn", "precision", "recall", "f1")} == {
        "tp": 2, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert r["first_trigger"] == {"asked_for_human": 1, "repeated_fallback": 1}
    assert r["trigger_fires"]["asked_for_human"] == {"label_1": 1}
    assert r["trigger_fires"]["repeated_fallback"] == {"label_1": 1}
    assert r["trigger_false_positive_rate"]["asked_for_human"] == 0.0
    assert r["dissatisfaction"] is None
    table = format_report(r)
    assert "would hand off         1.000   1.000   1.000     2     0     0" in table


def test_bot_kind_given_or_read_from_the_text() -> None:
    assert bot_kind({"role": "bot", "text": FB}) == "fallback"
    assert bot_kind({"role": "bot", "text": FB, "kind": "kb_answer"}) == "kb_answer"
    assert bot_kind({"role": "bot", "text": "Here is how."}) == "reply"


def test_the_file_format_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in DIALOGUES) + "\n\n")
    assert load_dialogues(path) == DIALOGUES


def test_cli_missing_or_malformed_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["escalation", "evaluate", "--dialogues", str(tmp_path / "none.jsonl")])
    assert args.func(args) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    args = parser.parse_args(["escalation", "evaluate", "--dialogues", str(bad)])
    assert args.func(args) == 2
    assert "bad.jsonl:1: not JSON" in capsys.readouterr().err
