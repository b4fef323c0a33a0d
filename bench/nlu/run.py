"""The NLU benchmark on ../shared/data: ours on the same splits as Rasa's DIET anchor (bench/nlu/diet.sh).

    nice -n 10 .venv/bin/python -m bench.nlu.run [--dataset clinc150|banking77|all]

Per data set: convert it into var/bench/data-<ds> (unless there), train on train.yml, calibrate and
choose thresholds on val.yml (CLINC150's own val + oos_val; BANKING77's val is carved from train),
report on test.yml once, time a cold load of the saved model in a fresh process, and write
bench/results/nlu-<ds>.json with the settings and the machine's load while it ran.
When neither train nor val holds an out-of-scope example (BANKING77) the out-of-scope detector is
switched off (keep_in_scope=1.0): there is nothing to detect and nothing to choose its threshold on.
The accuracy with the product's default detector (fitted on val, same model) is reported beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bot.nlu import training_data
from bot.nlu.intent_model import OOS_INTENT

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
BENCH = ROOT / "var" / "bench"
RESULTS = ROOT / "bench" / "results"
SOURCES = {"clinc150": DATA / "clinc150" / "data_full.json", "banking77": DATA / "banking77"}
SPLITS = ("train.yml", "val.yml", "test.yml")

COLD_LOAD = """
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from bot.nlu import NLUService, NLUSettings
from core.embedding import get_embedder
settings = NLUSettings(**json.loads(sys.argv[3]))
embedder = get_embedder(settings.embedding_model)
t1 = time.perf_counter()
said = []
svc = NLUService.load_or_train(Path(sys.argv[1]), Path(sys.argv[2]), settings=settings, embedder=embedder,
                               progress=said.append)
if not said[0].startswith("NLU model is up to date"):
    sys.exit("the saved model was not found: " + said[0])
t2 = time.perf_counter()
svc.parse_uncached("warm up")
t3 = time.perf_counter()
print(json.dumps({"model_load_seconds": round(t3 - t0, 2), "embedding_load_seconds": round(t1 - t0, 2),
                  "intent_model_load_seconds": round(t2 - t1, 2), "first_parse_seconds": round(t3 - t2, 2)}))
"""


def ensure_data(ds: str) -> Path:
    """Return var/bench/data-<ds>, converting the source data into it if a split is missing."""
    from bot.nlu.convert import banking77, clinc150

    folder = BENCH / f"data-{ds}"
    if not all((folder / s).exists() for s in SPLITS):
        counts = clinc150(SOURCES[ds], folder) if ds == "clinc150" else banking77(SOURCES[ds], folder)
        print(f"converted {ds}: {counts}")
    return folder


def has_oos(path: Path) -> bool:
    return any(e.intent == OOS_INTENT for e in training_data.load(path).examples)


def cold_load(train: Path, model_dir: Path, settings: dict[str, Any]) -> dict[str, Any]:
    """Load the saved model in a fresh Python process and time it up to the first parse."""
    out = subprocess.run([sys.executable, "-c", COLD_LOAD, str(train), str(model_dir), json.dumps(settings)],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(ds: str) -> dict[str, Any]:
    from bot.nlu.evaluation import evaluate
    from bot.nlu.service import NLUSettings
    from core.embedding import get_embedder
    from core.machine import machine

    folder = ensure_data(ds)
    train, val, test = (folder / s for s in SPLITS)
    product_default = NLUSettings.model_fields["keep_in_scope"].default
    settings = NLUSettings()
    detector = "on: thresholds chosen on val"
    if not has_oos(train) and not has_oos(val):
        settings = NLUSettings(keep_in_scope=1.0)
        detector = "off (keep_in_scope=1.0): no out-of-scope examples in train or val"
    embedder = get_embedder(settings.embedding_model)
    load_before = os.getloadavg()
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    model_dir = BENCH / f"nlu-model-{ds}"
    result = evaluate(train, test, embedder=embedder, settings=settings, val=val, save_to=model_dir,
                      also_keep_in_scope=product_default if settings.keep_in_scope >= 1.0 else None)
    result.update(cold_load(train, model_dir, {**settings.training_settings(),
                                               "embedding_model": settings.embedding_model}))
    load_after = os.getloadavg()
    result.update(
        dataset=ds,
        splits="train on train, thresholds and temperature on val, figures on test (once)",
        n_val=len(training_data.load(val).examples),
        out_of_scope_detector=detector,
        machine=machine(),
        started=started,
        # Timings are only comparable on a quiet machine: the 1-minute load average around the run.
        load_average=[round(load_before[0], 2), round(load_after[0], 2)],
        command=" ".join([*(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("FIRSTLINE_NLU_")),
                          f"python -m bench.nlu.run --dataset {ds}"]),
    )
    if settings.keep_in_scope >= 1.0:
        result["note"] = (f"accuracy etc. with the detector off; with_detector_keep_{product_default} is the "
                          "product's default detector on the same model")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"nlu-{ds}.json").write_text(json.dumps(result, indent=2))
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", choices=["clinc150", "banking77", "all"], default="all")
    args = ap.parse_args()
    for ds in ("clinc150", "banking77") if args.dataset == "all" else (args.dataset,):
        r = run(ds)
        keys = ("accuracy", "in_scope_accuracy", "top1_accuracy", "oos_precision", "oos_recall", "ece",
                "parse_ms_p95", "train_seconds", "model_load_seconds")
        print(ds, json.dumps({k: r.get(k) for k in keys}))
        print(f"  wrote bench/results/nlu-{ds}.json; the DIET anchor on the same splits (Rasa's default 100 epochs;\n"
              f"  diet.sh refuses a model trained with other epochs: remove var/bench/diet-{ds}/models first):\n"
              f"  nice -n 10 bench/nlu/diet.sh var/bench/data-{ds} 100 var/bench/diet-{ds}")
    print("then: .venv/bin/python -m bench.nlu.table")


if __name__ == "__main__":
    main()
