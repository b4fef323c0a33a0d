"""Classifier ablations scored on VALIDATION data only (never test), with embeddings cached on disk.

    nice -n 10 .venv/bin/python -m bench.nlu.ablation --dataset banking77 [--only NAME ...]

Reads var/bench/data-<ds>/{train,val}.yml (from `python -m bench.nlu.run` or `firstline nlu convert`),
caches their embeddings under var/bench/nlu-cache/, and writes bench/results/nlu-ablation-<ds>.json:
per variant, in-scope top-1 accuracy on val, OOS AUROC on val (CLINC150's oos_val against its in-scope
val; threshold-free, so nothing is tuned on what it is scored on) and the fit time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from bot.nlu import training_data
from bot.nlu.calibration import softmax
from bot.nlu.classifier import ClassifierConfig, fit_classifier
from bot.nlu.intent_model import OOS_INTENT, in_scope_confidence
from core.machine import machine

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "var" / "bench"
CACHE = BENCH / "nlu-cache"
RESULTS = ROOT / "bench" / "results"

# The classifier before these ablations; variants override it.
BASE = ClassifierConfig(word_weight=0.0, min_df=1, sim_k=1)
VARIANTS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "word_0.5": {"word_weight": 0.5},
    "word_1.0": {"word_weight": 1.0},
    "knn_1_nearest_2": {"knn_weight": 2.0, "knn_k": 1},
    "knn_5_vote_2": {"knn_weight": 2.0, "knn_k": 5},
    "knn_5_vote_5": {"knn_weight": 5.0, "knn_k": 5},
    "dense_1": {"dense_weight": 1.0},
    "dense_4": {"dense_weight": 4.0},
    "c_3": {"c": 3.0},
    "c_30": {"c": 30.0},
    "min_df_2": {"min_df": 2},
    "char_max_20k": {"char_max_features": 20000},
    "min_df_2_dense_4": {"min_df": 2, "dense_weight": 4.0},
    "min_df_2_c_30": {"min_df": 2, "c": 30.0},
    "min_df_2_knn_10_vote_2": {"min_df": 2, "knn_weight": 2.0, "knn_k": 10},
    "min_df_2_knn_10_vote_10": {"min_df": 2, "knn_weight": 10.0, "knn_k": 10},
    "min_df_2_word_0.5": {"min_df": 2, "word_weight": 0.5},
    "min_df_2_word_1.0": {"min_df": 2, "word_weight": 1.0},
    "min_df_2_nearest_only": {"min_df": 2, "sim_k": 1},
    # Around the chosen settings (min_df 2, word n-grams 1.0):
    "chosen_c_3": {"min_df": 2, "word_weight": 1.0, "c": 3.0},
    "chosen_dense_1": {"min_df": 2, "word_weight": 1.0, "dense_weight": 1.0},
    "chosen_knn_intent_max_2": {"min_df": 2, "word_weight": 1.0, "knn_weight": 2.0},
}


def embed_cached(path: Path) -> tuple[np.ndarray, list[str], list[str]]:
    """Return (embeddings, texts, intents) of a YAML split, embedding it once per content and model."""
    from core.embedding import get_embedder

    data = training_data.load(path)
    texts, intents = [e.text for e in data.examples], [e.intent for e in data.examples]
    embedder = get_embedder("bundled")
    key = hashlib.sha256(("\n".join(texts) + embedder.name).encode()).hexdigest()[:16]
    f = CACHE / f"{path.parent.name}-{path.stem}-{key}.npy"
    if f.exists():
        return np.load(f), texts, intents
    CACHE.mkdir(parents=True, exist_ok=True)
    vecs = embedder.encode(texts, batch_size=128)
    np.save(f, vecs)
    return vecs, texts, intents


def auroc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Return the probability that a random positive scores above a random negative (ties count half)."""
    from scipy.stats import rankdata

    r = rankdata(np.concatenate([pos, neg]))
    return float((r[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def cross_fitted_detector(logits: np.ndarray, sim: np.ndarray, y: np.ndarray, is_oos: np.ndarray,
                          oos_k: int, seed: int = 13, objective: str = "balanced",
                          keep_in_scope: float = 0.97) -> dict[str, float]:
    """Fit temperature and detector on one half of val, score on the other, both ways; pooled figures."""
    from bot.nlu.calibration import fit_temperature
    from bot.nlu.out_of_scope import fit_detector

    perm = np.random.default_rng(seed).permutation(len(y))
    halves = (perm[: len(y) // 2], perm[len(y) // 2 :])
    pred_oos, right = np.zeros(len(y), bool), np.zeros(len(y), bool)
    for fit_on, score_on in (halves, halves[::-1]):
        known = fit_on[y[fit_on] >= 0]
        t = fit_temperature(logits[known], y[known])
        p = softmax(logits / t)
        top = p.argmax(axis=1)
        conf = in_scope_confidence(p, oos_k)
        p_oos = p[:, oos_k] if oos_k >= 0 else None
        det = fit_detector(conf[fit_on], sim[fit_on], (top == y)[fit_on], is_oos[fit_on], (top == oos_k)[fit_on],
                           objective=objective, keep_in_scope=keep_in_scope,
                           oos_prob=None if p_oos is None else p_oos[fit_on])
        fired = det.fires(conf[score_on], sim[score_on], None if p_oos is None else p_oos[score_on]) \
            | (top[score_on] == oos_k)
        pred_oos[score_on] = fired
        right[score_on] = ~fired & (top[score_on] == y[score_on])
    tp = (pred_oos & is_oos).sum()
    return {"in_scope_accuracy": round(float(right[~is_oos].mean()), 4),
            "oos_recall": round(float(tp / is_oos.sum()), 4),
            "oos_precision": round(float(tp / max(pred_oos.sum(), 1)), 4)}


def detector_grid(logits: np.ndarray, sims: dict[str, np.ndarray], y: np.ndarray, is_oos: np.ndarray,
                  oos_k: int) -> dict[str, Any]:
    """Cross-fitted detector figures for each similarity evidence and threshold objective."""
    out = {}
    for sim_name, s in sims.items():
        for objective, keep in (("balanced", 0.97), ("keep", 0.97), ("keep", 0.95), ("keep", 0.99),
                                ("scorer", 0.99), ("scorer", 0.995)):
            label = objective if objective == "balanced" else f"{objective}_{keep}"
            out[f"val_detector_{sim_name}_{label}"] = cross_fitted_detector(
                logits, s, y, is_oos, oos_k, objective=objective, keep_in_scope=keep)
    return out


def run_variant(name: str, overrides: dict[str, Any], train: tuple, val: tuple) -> dict[str, Any]:
    """Fit one variant on train and score it on val."""
    vecs, texts, intents = train
    labels = sorted(set(intents))
    index = {n: i for i, n in enumerate(labels)}
    y = np.array([index[i] for i in intents])
    config = ClassifierConfig(**{**BASE.__dict__, **overrides})
    t0 = time.perf_counter()
    clf = fit_classifier(vecs, texts, y, labels, config)
    fit_seconds = time.perf_counter() - t0
    vv, vt, vi = val
    logits, sim = clf.scores(vv, vt)
    probs = softmax(logits)
    gold_oos = np.array([i == OOS_INTENT or i not in index for i in vi])
    vy = np.array([index.get(i, -1) for i in vi])
    top = probs.argmax(axis=1)
    out: dict[str, Any] = {"overrides": overrides, "fit_seconds": round(fit_seconds, 1),
                           "val_in_scope_top1": round(float((top == vy)[~gold_oos].mean()), 4),
                           "n_correct": int((top == vy)[~gold_oos].sum())}
    pred_file = CACHE / f"pred-{len(vt)}-{name}.npy"
    np.save(pred_file, top)
    base_file = CACHE / f"pred-{len(vt)}-baseline.npy"
    if base_file.exists():
        out["n_changed_vs_baseline"] = int((np.load(base_file) != top).sum())
    if gold_oos.any():
        sims = np.asarray(vv, dtype=np.float32) @ clf.train_vecs.T
        top5 = -np.partition(-sims, 4, axis=1)[:, :5]
        # Higher = more in scope; AUROC of in-scope vs OOS, for each candidate OOS score.
        np.savez(CACHE / f"scores-{len(vt)}-{name}.npz", logits=logits, sims_top5=top5.mean(axis=1),
                 nearest=sims.max(axis=1), y=vy, is_oos=gold_oos, oos_k=index.get(OOS_INTENT, -2))
        for score_name, s in (("max_prob", probs.max(axis=1)), ("nearest_sim", sims.max(axis=1)),
                              ("mean_top5_sim", top5.mean(axis=1)),
                              ("energy", np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1))
                               + logits.max(1))):
            out[f"val_oos_auroc_{score_name}"] = round(auroc(s[~gold_oos], s[gold_oos]), 4)
        out.update(detector_grid(logits, {"nearest": sims.max(axis=1), "mean_top5": top5.mean(axis=1)}, vy, gold_oos,
                                 index.get(OOS_INTENT, -2)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", choices=["clinc150", "banking77"], required=True)
    ap.add_argument("--only", nargs="*", help="variant names (default: all)")
    ap.add_argument("--embed-only", action="store_true")
    ap.add_argument("--detectors-from", metavar="VARIANT", help="only the detector grid, from saved val scores")
    args = ap.parse_args()
    if args.detectors_from:
        n = len(training_data.load(BENCH / f"data-{args.dataset}" / "val.yml").examples)
        z = np.load(CACHE / f"scores-{n}-{args.detectors_from}.npz")
        grid = detector_grid(z["logits"], {"nearest": z["nearest"], "mean_top5": z["sims_top5"]}, z["y"],
                             z["is_oos"], int(z["oos_k"]))
        for k, v in grid.items():
            print(k, v)
        out_path = RESULTS / f"nlu-ablation-{args.dataset}.json"
        report = json.loads(out_path.read_text())
        report["variants"].setdefault(args.detectors_from, {}).update(grid)
        out_path.write_text(json.dumps(report, indent=2))
        return
    folder = BENCH / f"data-{args.dataset}"
    train, val = embed_cached(folder / "train.yml"), embed_cached(folder / "val.yml")
    if args.embed_only:
        return
    out_path = RESULTS / f"nlu-ablation-{args.dataset}.json"
    for name in args.only or list(VARIANTS):
        res = run_variant(name, VARIANTS[name], train, val)
        print(name, json.dumps(res), flush=True)
        # Re-read before writing: another run may have added variants meanwhile.
        report = json.loads(out_path.read_text()) if out_path.exists() else {"variants": {}}
        report.update(dataset=args.dataset, scored_on="validation only", machine=machine(),
                      base=BASE.__dict__, n_train=len(train[1]), n_val=len(val[1]))
        report["variants"][name] = {**res, "load_average_1min": round(os.getloadavg()[0], 2)}
        out_path.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
