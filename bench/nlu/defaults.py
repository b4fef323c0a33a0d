"""The intent layer with DEFAULT settings, as a new tenant runs it (issue 13, item 1).

    nice -n 10 .venv/bin/python -m bench.nlu.defaults [--only banking77-k5 ...]

Each run is `firstline nlu evaluate --train --test` with no --val: temperature and out-of-scope
thresholds come from held-out parts of train. Data: `firstline nlu convert clinc150|banking77 SRC
var/bench/data-<ds>` first; BANKING77's subsets are written here when missing (`python -m
bench.nlu.subsets`, seed 13, nested, into var/bench/b77-sub/k<k>/train.yml):
  banking77       train.csv (train.yml + val.yml, 10,003) -> test (3,080)
  banking77-k<k>  k examples per intent of that train -> the same test
  clinc150        train + val + oos_train + oos_val (18,200) -> test + oos_test (5,500)
  demo            data/nlu: the held-out accuracy training reports (5-fold, no test split exists)
Writes bench/results/nlu-default-<name>.json with the machine and the load average before and after.
Each test split is read once per run: record every run in bench/results/nlu-val-research-clinc150.md.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "var" / "bench"
RESULTS = ROOT / "bench" / "results"


def runs() -> dict[str, tuple[list[Path], Path]]:
    b77, clinc = BENCH / "data-banking77", BENCH / "data-clinc150"
    out: dict[str, tuple[list[Path], Path]] = {
        "banking77": ([b77 / "train.yml", b77 / "val.yml"], b77 / "test.yml"),
        "clinc150": ([clinc / "train.yml", clinc / "val.yml"], clinc / "test.yml"),
    }
    for k in (5, 10, 20):
        out[f"banking77-k{k}"] = ([BENCH / "b77-sub" / f"k{k}" / "train.yml"], b77 / "test.yml")
    return out


def _folder(files: list[Path], name: str) -> Path:
    """One training folder holding these YAML files (links), as `--train FOLDER` takes it."""
    if len(files) == 1:
        return files[0]
    folder = BENCH / f"train-{name}"
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        link = folder / f"{f.parent.name}-{f.name}"
        if not link.exists():
            link.symlink_to(f.resolve())
    return folder


def run_one(name: str) -> dict[str, Any]:
    from bot.nlu.evaluation import evaluate
    from bot.nlu.service import NLUService, NLUSettings
    from core.embedding import get_embedder
    from core.machine import machine

    settings = NLUSettings()
    embedder = get_embedder(settings.embedding_model)
    load_before = os.getloadavg()
    if name == "demo":
        from bot.nlu import training_data

        svc = NLUService.train(training_data.load(ROOT / "data" / "nlu"), embedder, settings)
        result: dict[str, Any] = {"heldout_accuracy": svc.model.metrics.get("heldout_accuracy"),
                                  "model_metrics": svc.model.metrics, "n_train": svc.metadata["n_examples"],
                                  "train_seconds": svc.metadata["train_seconds"],
                                  "settings": settings.training_settings(), "embedding": embedder.name}
    else:
        files, test = runs()[name]
        if name.startswith("banking77-k") and not files[0].exists():
            from bench.nlu.subsets import main as subsets

            full, _ = runs()["banking77"]
            subsets([str(_folder(full, "banking77")), str(files[0].parents[1]), "5", "10", "20"])
        result = evaluate(_folder(files, name), test, embedder=embedder, settings=settings)
    result["machine"] = machine()
    result["load_average"] = {"before": [round(x, 2) for x in load_before],
                              "after": [round(x, 2) for x in os.getloadavg()]}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args(argv)
    names = args.only or ["demo", "banking77-k5", "banking77-k10", "banking77-k20", "banking77", "clinc150"]
    for name in names:
        result = run_one(name)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"nlu-default-{name}.json").write_text(json.dumps(result, indent=2))
        keys = ("accuracy", "top1_accuracy", "in_scope_accuracy", "oos_recall", "oos_precision", "in_scope_rejected",
                "correct_kept", "heldout_accuracy", "parse_ms_p95", "train_seconds")
        shown = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in result.items() if k in keys}
        print(name, json.dumps(shown), "load", result["load_average"], flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
