"""Benchmark: calm fault reports vs upset customers, VADER's own lexicon vs the support lexicon.

A support desk hears "dead", "broken", "failed" from calm customers all day (issue 13). On
data/sentiment/fault_reports.yml (`dev` chose bot/nlu/support_lexicon.py, `held_out` only reports),
for each analyser: the share of calm fault reports the `negative_sentiment` rule fires on (its
false-positive rate), the share labelled negative (compound <= -0.3, the sentiment the dissatisfaction
model and `sentiment_drop` read), and the share of upset customers the rule still catches.

    .venv/bin/python -m bench.sentiment.fault_reports
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from bot.nlu.sentiment import VaderSentiment
from core.machine import machine
from escalation.settings import EscalationSettings

DATA = Path(__file__).resolve().parents[2] / "data" / "sentiment" / "fault_reports.yml"
OUT = Path(__file__).resolve().parents[1] / "results" / "sentiment-fault-reports.json"


def measure(split: dict[str, list[str]], analyzer: VaderSentiment) -> dict[str, Any]:
    s = EscalationSettings()

    def fires(r: dict[str, Any]) -> bool:
        return r["compound"] <= s.negative_sentiment or r["frustration"] >= s.frustration

    calm = [analyzer.analyze(t) for t in split["calm"]]
    upset = [analyzer.analyze(t) for t in split["upset"]]
    return {
        "n_calm": len(calm), "n_upset": len(upset),
        "calm_rule_fires": round(sum(map(fires, calm)) / len(calm), 3),
        "calm_negative": round(sum(r["label"] == "negative" for r in calm) / len(calm), 3),
        "upset_rule_fires": round(sum(map(fires, upset)) / len(upset), 3),
        "upset_negative": round(sum(r["label"] == "negative" for r in upset) / len(upset), 3),
        "calm_fired_on": [t for t, r in zip(split["calm"], calm, strict=True) if fires(r)],
    }


def main() -> dict[str, Any]:
    data = yaml.safe_load(DATA.read_text())
    analyzers = {"vader_lexicon": VaderSentiment(support_lexicon=False), "support_lexicon": VaderSentiment()}
    result: dict[str, Any] = {"machine": machine()}
    print(f"fault reports (data/sentiment/fault_reports.yml); machine: {result['machine']}")
    print(f"  {'split':9} {'analyser':16} {'calm: rule fires':>17} {'negative':>9} "
          f"{'upset: rule fires':>18} {'negative':>9}")
    for split in ("dev", "held_out"):
        result[split] = {}
        for name, analyzer in analyzers.items():
            r = result[split][name] = measure(data[split], analyzer)
            print(f"  {split:9} {name:16} {r['calm_rule_fires']:>17.3f} {r['calm_negative']:>9.3f} "
                  f"{r['upset_rule_fires']:>18.3f} {r['upset_negative']:>9.3f}   "
                  f"({r['n_calm']} calm, {r['n_upset']} upset)")
    OUT.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
