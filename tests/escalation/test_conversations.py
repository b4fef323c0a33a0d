"""Run the YAML conversation suite (tests/conversations/*.yml) through the real policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from core.embedding import FakeEmbedder
from escalation import Turn, assess

SUITE = [
    c
    for f in sorted((Path(__file__).parents[1] / "conversations").glob("*.yml"))
    for c in yaml.safe_load(f.read_text())["conversations"]
]


def to_turn(t: dict[str, Any]) -> Turn:
    return Turn(
        t["text"],
        t["intent"],
        float(t["confidence"]),
        float(t.get("sentiment", 0.0)),
        float(t.get("frustration", 0.0)),
        bool(t.get("out_of_scope", False)),
        False,
        (),
        tuple(t.get("bot", ())),
        bool(t.get("not_helpful", False)),
    )


@pytest.mark.parametrize("conversation", SUITE, ids=[c["name"] for c in SUITE])
def test_conversation(conversation: dict[str, Any]) -> None:
    turns = [to_turn(t) for t in conversation["turns"]]
    fired = None
    for i, current in enumerate(turns):
        # Like the loop: check before the bot answers, then again once its reply is known.
        before = Turn(*[getattr(current, f) for f in Turn.__dataclass_fields__][:8], (), False)
        for candidate in (before, current):
            d = assess(turns[:i], candidate, embedder=FakeEmbedder())
            if d.handoff:
                fired = (i + 1, d)
                break
        if fired:
            break
    expect = conversation["expect"]
    if expect == "never":
        assert fired is None, f"handed off at turn {fired[0]}: {fired[1].reason}" if fired else ""
        return
    assert fired is not None, "never handed off"
    assert (fired[0], fired[1].trigger) == (expect["handoff_at"], expect["trigger"])
    if "reason" in expect:
        assert fired[1].reason == expect["reason"]
