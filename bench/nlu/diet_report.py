"""Read a `rasa test nlu` output folder and compute the same figures as `firstline nlu evaluate`.

    .venv/bin/python -m bench.nlu.diet_report var/bench/diet-banking77
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from bot.nlu.calibration import expected_calibration_error


def report(folder: Path) -> dict:
    from sklearn.metrics import f1_score

    rows = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = folder / "results" / name
        if path.exists():
            rows += json.loads(path.read_text())
    gold = np.array(["oos" if r["intent"] == "out_of_scope" else r["intent"] for r in rows])
    pred_raw = [r["intent_prediction"] for r in rows]
    oos_names = ("out_of_scope", "nlu_fallback")
    pred = np.array(["oos" if (p.get("name") or "") in oos_names else p.get("name") for p in pred_raw])
    conf = np.array([float(p.get("confidence") or 0.0) for p in pred_raw])
    ins = gold != "oos"
    oos_pred = pred == "oos"
    tp = int((oos_pred & ~ins).sum())
    timing = json.loads((folder / "timing.json").read_text())
    return {
        "accuracy": float((gold == pred).mean()),
        "in_scope_accuracy": float((gold[ins] == pred[ins]).mean()),
        "macro_f1": float(f1_score(gold, pred, average="macro")),
        "oos_precision": tp / int(oos_pred.sum()) if oos_pred.any() else None,
        "oos_recall": tp / int((~ins).sum()) if (~ins).any() else None,
        "ece": expected_calibration_error(conf[ins], (gold == pred)[ins]),
        "train_seconds": timing["train_seconds"],
        "epochs": timing["epochs"],
        "n_test": len(rows),
    }


if __name__ == "__main__":
    print(json.dumps(report(Path(sys.argv[1])), indent=2))
