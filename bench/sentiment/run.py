"""Benchmark: frustration detection, VADER alone vs VADER plus the support-chat signals.

A message counts as frustrated when the escalation policy would treat it so: compound at or below
its negative-sentiment threshold, or frustration at or above its frustration threshold. "VADER alone"
uses the raw VADER compound with the same threshold; "with signals" uses the product's analyzer.

    .venv/bin/python -m bench.sentiment.run

messages.yml is the set the signals were revised on; heldout.yml was written before that revision
and not used for it, so its figures are the honest ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from bench.sentiment import fault_reports
from bot.nlu.sentiment import VaderSentiment
from core.machine import machine
from escalation.settings import EscalationSettings

SETS = {"dev": Path(__file__).with_name("messages.yml"), "held_out": Path(__file__).with_name("heldout.yml")}


def scores(flags: list[bool], labels: list[bool]) -> dict[str, float]:
    tp = sum(f and y for f, y in zip(flags, labels, strict=True))
    fp = sum(f and not y for f, y in zip(flags, labels, strict=True))
    fn = sum(y and not f for f, y in zip(flags, labels, strict=True))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0}


def measure(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    texts = data["frustrated"] + data["calm"]
    labels = [True] * len(data["frustrated"]) + [False] * len(data["calm"])
    s = EscalationSettings()
    analyzer = VaderSentiment()
    results = [analyzer.analyze(t) for t in texts]
    plain = VaderSentiment(support_lexicon=False)  # VADER's own lexicon, as published
    vader_only = [plain.analyze(t)["vader"] <= s.negative_sentiment for t in texts]
    with_signals = [r["compound"] <= s.negative_sentiment or r["frustration"] >= s.frustration for r in results]
    return {
        "n_frustrated": len(data["frustrated"]), "n_calm": len(data["calm"]),
        "thresholds": {"negative_sentiment": s.negative_sentiment, "frustration": s.frustration},
        "vader_only": scores(vader_only, labels),
        "vader_plus_signals": scores(with_signals, labels),
        "missed": [t for t, f, y in zip(texts, with_signals, labels, strict=True) if y and not f],
        "false_alarms": [t for t, f, y in zip(texts, with_signals, labels, strict=True) if f and not y],
    }


def main() -> None:
    print(f"machine: {machine()}")
    for set_name, path in SETS.items():
        r = measure(path)
        print(f"{set_name}: {r['n_frustrated']} frustrated + {r['n_calm']} calm messages, thresholds {r['thresholds']}")
        for name in ("vader_only", "vader_plus_signals"):
            print(f"  {name:20} {json.dumps(r[name])}")
        print(f"  missed: {r['missed']}")
        print(f"  false alarms: {r['false_alarms']}")
    print()
    fault_reports.main()


if __name__ == "__main__":
    main()
