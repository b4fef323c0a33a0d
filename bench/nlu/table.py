"""Print the NLU benchmark table (ours vs Rasa's DIET on the same splits) as Markdown for the README.

Reads bench/results/nlu-<dataset>.json (from `firstline nlu evaluate`) and var/bench/diet-<dataset>
(from bench/nlu/diet.sh), writes bench/results/diet-<dataset>.json, and prints the table.

    .venv/bin/python -m bench.nlu.table
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.nlu.diet_report import report as diet_report
from core.machine import machine

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
DATASETS = ("clinc150", "banking77")
ROWS = ("accuracy", "in_scope_accuracy", "macro_f1", "oos_precision", "oos_recall", "ece", "parse_ms_p50",
        "parse_ms_p95", "train_seconds", "n_train", "n_test")


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
    diet_path = RESULTS / f"diet-{dataset}.json"
    if (diet_dir / "timing.json").exists():
        diet_path.write_text(json.dumps(diet_report(diet_dir), indent=2))
    diet = json.loads(diet_path.read_text()) if diet_path.exists() else None
    return ours, diet


def main() -> None:
    cols, header = [], []
    for ds in DATASETS:
        ours, diet = load(ds)
        if ours:
            cols.append(ours)
            header.append(f"{ds} ours")
        if diet:
            cols.append(diet)
            header.append(f"{ds} DIET ({diet['epochs']} epochs)")
    print(f"machine: {machine()}")
    print("| figure | " + " | ".join(header) + " |")
    print("|---|" + "---|" * len(header))
    for row in ROWS:
        print(f"| {row} | " + " | ".join(fmt(c.get(row)) for c in cols) + " |")


if __name__ == "__main__":
    main()
