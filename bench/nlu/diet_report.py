"""Read a `rasa test nlu` output folder and compute the same figures as `firstline nlu evaluate`.

    .venv/bin/python -m bench.nlu.diet_report var/bench/diet-banking77
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bot.nlu.evaluation import OOS, score
from bot.nlu.service import FALLBACK, OOS_INTENT


def report(folder: Path) -> dict:
    """Return DIET's figures on the test set, defined exactly as ours (bot.nlu.evaluation.score)."""
    rows = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = folder / "results" / name
        if path.exists():
            rows += json.loads(path.read_text())
    gold = [OOS if r["intent"] == OOS_INTENT else r["intent"] for r in rows]
    pred_raw = [r["intent_prediction"] for r in rows]
    # DIET's pipeline has no FallbackClassifier, so nlu_fallback never appears; kept for other configs.
    pred = [OOS if (p.get("name") or "") in (OOS_INTENT, FALLBACK) else p.get("name") for p in pred_raw]
    conf = [float(p.get("confidence") or 0.0) for p in pred_raw]
    timing = json.loads((folder / "timing.json").read_text())
    return {
        **score(gold, pred, conf, [g == p for g, p in zip(gold, pred, strict=True)]),
        "train_seconds": timing["train_seconds"],
        "epochs": timing["epochs"],
        "n_test": len(rows),
    }


if __name__ == "__main__":
    print(json.dumps(report(Path(sys.argv[1])), indent=2))
