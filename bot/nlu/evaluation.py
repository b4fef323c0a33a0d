"""Evaluate the NLU on a test set: accuracy, out-of-scope precision/recall, calibration, latency."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from bot.nlu import training_data
from bot.nlu.calibration import expected_calibration_error
from bot.nlu.service import FALLBACK, OOS_INTENT, NLUService, NLUSettings
from core.embedding import Embedder

KEYS = ("accuracy", "in_scope_accuracy", "macro_f1", "oos_precision", "oos_recall", "ece", "parse_ms_p50",
        "parse_ms_p95", "train_seconds", "n_train", "n_test")
OOS = "<oos>"


def score(gold: list[str], pred: list[str], confidence: list[float], top_correct: list[bool]) -> dict[str, Any]:
    """Return the accuracy, out-of-scope and calibration figures; OOS must already be mapped to OOS."""
    from sklearn.metrics import f1_score

    g, p = np.array(gold), np.array(pred)
    in_scope = g != OOS
    oos_pred = p == OOS
    tp = int((oos_pred & ~in_scope).sum())
    return {
        "accuracy": float((g == p).mean()) if len(g) else None,
        "in_scope_accuracy": float((g[in_scope] == p[in_scope]).mean()) if in_scope.any() else None,
        "macro_f1": float(f1_score(g, p, average="macro")) if len(g) else None,
        "oos_precision": tp / int(oos_pred.sum()) if oos_pred.any() else None,
        "oos_recall": tp / int((~in_scope).sum()) if (~in_scope).any() else None,
        # ECE of the classifier's top intent on in-scope examples, before any fallback: does a
        # confidence of 0.8 mean right 80% of the time?
        "ece": expected_calibration_error(np.array(confidence)[in_scope], np.array(top_correct)[in_scope]),
    }


def evaluate(train: Path, test: Path, *, embedder: Embedder, settings: NLUSettings | None = None,
             val: Path | None = None) -> dict[str, Any]:
    """Train on train (calibrating on val if given, else on held-out parts of train), evaluate on test."""
    t0 = time.perf_counter()
    train_data = training_data.load(train)
    svc = NLUService.train(train_data, embedder, settings, val=training_data.load(val) if val else None)
    train_seconds = time.perf_counter() - t0
    test_data = training_data.load(test)
    gold, pred, conf, top_ok, latencies = [], [], [], [], []
    for e in test_data.examples:
        t = time.perf_counter()
        p = svc.parse_uncached(e.text)  # every example pays the full parse
        latencies.append((time.perf_counter() - t) * 1000)
        g = OOS if e.intent == OOS_INTENT else e.intent
        name = p["intent"]["name"]
        top = next(r for r in p["intent_ranking"] if r["name"] != FALLBACK)
        gold.append(g)
        pred.append(OOS if name in (OOS_INTENT, FALLBACK) else name)
        conf.append(float(top["confidence"]))
        top_ok.append((OOS if top["name"] == OOS_INTENT else top["name"]) == g)
    result = score(gold, pred, conf, top_ok)
    result.update(
        parse_ms_p50=float(np.percentile(latencies, 50)),
        parse_ms_p95=float(np.percentile(latencies, 95)),
        train_seconds=round(train_seconds, 2),
        n_train=len(train_data.examples),
        n_test=len(test_data.examples),
        embedding=embedder.name,
        settings=svc.settings.training_settings(),
        model_metrics=svc.model.metrics,
    )
    return result
