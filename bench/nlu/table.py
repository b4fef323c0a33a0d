"""Print the NLU benchmark table (ours vs Rasa's DIET on the same splits) as Markdown for the README.

Reads bench/results/nlu-<dataset>.json (from `python -m bench.nlu.run`) and var/bench/diet-<dataset>
(from bench/nlu/diet.sh), writes bench/results/nlu-diet-<dataset>.json, and prints the table with a
settings line per column.

    .venv/bin/python -m bench.nlu.table
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from bench.nlu.diet_report import report as diet_report
from core.machine import machine

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
DATASETS = ("clinc150", "banking77")
ROWS = ("accuracy", "in_scope_accuracy", "top1_accuracy", "macro_f1", "oos_precision", "oos_recall",
        "in_scope_rejected", "ece", "parse_ms_p50", "parse_ms_p95", "embed_ms_p95", "train_seconds",
        "model_load_seconds", "n_train", "n_test")
RASA_DEFAULT_EPOCHS = 100
# A 1-minute load average above this share of the cores means timings were taken on a busy machine.
# The benchmark itself keeps about one core busy, so anything up to the core count is its own load.
BUSY_SHARE = 1.0


def fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3f}" if v < 10 else f"{v:.0f}"
    return str(v)


def load(dataset: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    ours_path = RESULTS / f"nlu-{dataset}.json"
    ours = json.loads(ours_path.read_text()) if ours_path.exists() else None
    diet_dir = ROOT / "var" / "bench" / f"diet-{dataset}"
    diet_path = RESULTS / f"nlu-diet-{dataset}.json"
    if (diet_dir / "timing.json").exists():
        diet_path.write_text(json.dumps(diet_report(diet_dir), indent=2))
    diet = json.loads(diet_path.read_text()) if diet_path.exists() else None
    return ours, diet


def diet_label(epochs: int) -> str:
    if epochs < RASA_DEFAULT_EPOCHS:
        return f"DIET ({epochs} epochs; Rasa's default is {RASA_DEFAULT_EPOCHS})"
    return f"DIET ({epochs} epochs)"


def ours_settings(r: dict[str, Any]) -> str:
    s = r.get("settings") or {}
    parts = [f"{r.get('embedding')} + char n-gram TF-IDF (x{s.get('char_weight')})"]
    if s.get("word_weight"):
        parts.append(f"word n-grams (x{s['word_weight']})")
    parts.append(f"logistic regression C={s.get('c')}, dense x{s.get('dense_weight')}")
    if s.get("knn_weight"):
        parts.append(f"kNN evidence x{s['knn_weight']} (k={s.get('knn_k') or 'per-intent max'})")
    parts.append("temperature and thresholds on val")
    detector = (r.get("model_metrics") or {}).get("detector", "")
    if detector == "validation-oos-scorer":
        how = (f"a learned scorer over confidence, mean similarity to the {s.get('sim_k', 1)} nearest in-scope "
               "examples and p(out_of_scope), fitted on val")
    else:
        how = (f"confidence + mean similarity to the {s.get('sim_k', 1)} nearest examples, objective "
               f"{s.get('oos_objective', 'balanced')}")
    parts.append(f"OOS detector {r.get('out_of_scope_detector', '')} ({how}, keep_in_scope={s.get('keep_in_scope')})")
    return "; ".join(parts) + busy_note(r.get("load_average"))


def busy_note(load: list[float] | None) -> str:
    if not load:
        return "; machine load not recorded"
    if max(load) > BUSY_SHARE * (os.cpu_count() or 1):
        return f"; TIMINGS ON A BUSY MACHINE (1-min load {load[0]}–{load[1]})"
    return f"; quiet machine (1-min load {load[0]}–{load[1]})"


def diet_settings(d: dict[str, Any]) -> str:
    return (f"{diet_label(d['epochs'])}, whitespace tokens, word + char_wb 1–4 count vectors, "
            "constrain_similarities, no FallbackClassifier (nlu_fallback never predicted); same train/test files "
            "(Rasa drops duplicate test texts)" + busy_note(None))


def main() -> None:
    cols, header, settings = [], [], []
    for ds in DATASETS:
        ours, diet = load(ds)
        if ours:
            cols.append(ours)
            header.append(f"{ds} ours")
            settings.append(ours_settings(ours))
        if diet:
            cols.append(diet)
            header.append(f"{ds} {diet_label(diet['epochs'])}")
            settings.append(diet_settings(diet))
    print(f"machine: {machine()}")
    print("| figure | " + " | ".join(header) + " |")
    print("|---|" + "---|" * len(header))
    for row in ROWS:
        print(f"| {row} | " + " | ".join(fmt(c.get(row)) for c in cols) + " |")
    for c in cols:  # the product's default detector, when the headline ran with it off
        extra = next((v for k, v in c.items() if k.startswith("with_detector_keep_")), None)
        if extra:
            print(f"\n{c.get('dataset')} ours with the product's default out-of-scope detector (same model): "
                  f"accuracy {fmt(extra['accuracy'])}, in-scope rejected {fmt(extra['in_scope_rejected'])}")
    print("\nSettings:")
    for h, s in zip(header, settings, strict=True):
        print(f"- **{h}**: {s}")


if __name__ == "__main__":
    main()
