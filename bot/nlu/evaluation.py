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

KEYS = ("accuracy", "in_scope_accuracy", "top1_accuracy", "macro_f1", "oos_precision", "oos_recall",
        "in_scope_rejected", "correct_kept", "ece", "parse_ms_p50",
        "parse_ms_p95", "train_seconds", "n_train", "n_test")
OOS = "<oos>"


def score(gold: list[str], pred: list[str], confidence: list[float], top_correct: list[bool]) -> dict[str, Any]:
    """Return the accuracy, out-of-scope and calibration figures; OOS must already be mapped to OOS."""
    from sklearn.metrics import f1_score

    g, p = np.array(gold), np.array(pred)
    in_scope = g != OOS
    oos_pred = p == OOS
    has_oos = bool((~in_scope).any())
    tp = int((oos_pred & ~in_scope).sum())
    ok = np.asarray(top_correct, dtype=bool)
    return {
        "accuracy": float((g == p).mean()) if len(g) else None,
        "in_scope_accuracy": float((g[in_scope] == p[in_scope]).mean()) if in_scope.any() else None,
        "macro_f1": float(f1_score(g, p, average="macro")) if len(g) else None,
        # Without out-of-scope test examples there is nothing to detect: precision and recall are
        # undefined (null), and the cost of the detector shows as in_scope_rejected instead.
        "oos_precision": tp / int(oos_pred.sum()) if has_oos and oos_pred.any() else None,
        "oos_recall": tp / int((~in_scope).sum()) if has_oos else None,
        "in_scope_rejected": float(oos_pred[in_scope].mean()) if in_scope.any() else None,
        # The detector's promise measured out of sample: of the in-scope messages whose top intent was
        # right, the share it let through (NLUSettings.keep_in_scope is what it was fitted to keep).
        "correct_kept": float((~oos_pred[in_scope & ok]).mean()) if (in_scope & ok).any() else None,
        # ECE of the classifier's top intent on in-scope examples, before any fallback: does a
        # confidence of 0.8 mean right 80% of the time?
        "ece": expected_calibration_error(np.array(confidence)[in_scope], np.array(top_correct)[in_scope]),
    }


def evaluate(train: Path, test: Path, *, embedder: Embedder, settings: NLUSettings | None = None,
             val: Path | None = None, also_keep_in_scope: float | None = None,
             save_to: Path | None = None) -> dict[str, Any]:
    """Train on train (calibrating on val if given, else on held-out parts of train), evaluate on test.

    also_keep_in_scope: also report accuracy with a detector fitted on val to keep that share of
    correct in-scope answers (the same trained model; only its thresholds differ).
    save_to: persist the model there as `load_or_train(train, save_to)` would find it.
    """
    t0 = time.perf_counter()
    train_data = training_data.load(train)
    val_data = training_data.load(val) if val else None
    svc = NLUService.train(train_data, embedder, settings, val=val_data)
    train_seconds = time.perf_counter() - t0
    test_data = training_data.load(test)
    gold, pred, conf, top_ok, latencies = [], [], [], [], []
    top1, top_conf = [], []
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
        top1.append(OOS if top["name"] == OOS_INTENT else top["name"])
        top_conf.append(float(top["confidence"]))
    result = score(gold, pred, conf, top_ok)
    # Per stage: the sentence embedding alone, one message at a time, on up to 200 test messages; the
    # rest of parse_ms is the classifier, entities and sentiment.
    embed_ms = []
    for e in test_data.examples[:200]:
        t = time.perf_counter()
        embedder.encode([e.text])
        embed_ms.append((time.perf_counter() - t) * 1000)
    if embed_ms:
        result.update(embed_ms_p50=float(np.percentile(embed_ms, 50)), embed_ms_p95=float(np.percentile(embed_ms, 95)))
    # Top-1 with no out-of-scope detector at all (a trained out_of_scope intent still counts).
    result["top1_accuracy"] = float(np.mean(np.array(gold) == np.array(top1))) if gold else None
    if also_keep_in_scope is not None:
        if val_data is None:
            raise ValueError("also_keep_in_scope needs a validation set to fit its thresholds on")
        detector = _detector_on(svc, val_data, also_keep_in_scope)
        texts = [svc.model_text(e.text) for e in test_data.examples]  # one batch: parses do not return it
        sims = svc.model.classifier.scores(svc.classifier_input(texts), texts)[1]
        fired = detector.fires(np.array(top_conf), sims)
        alt = [OOS if f else t for f, t in zip(fired, top1, strict=True)]
        alt_scores = score(gold, alt, conf, top_ok)
        result[f"with_detector_keep_{also_keep_in_scope}"] = {
            "min_confidence": round(detector.min_confidence, 4), "min_similarity": round(detector.min_similarity, 4),
            **{k: alt_scores[k] for k in ("accuracy", "in_scope_accuracy", "macro_f1", "in_scope_rejected")}}
    if save_to is not None:
        from bot.nlu import model_store

        data_hash = model_store.data_hash(train)
        version = f"{data_hash}-{model_store.settings_hash(svc.settings.training_settings(), embedder.name)}"
        svc.metadata.update(version=version, data_hash=data_hash)
        model_store.save(save_to, version, svc.model, svc.metadata)
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


def _detector_on(svc: NLUService, val: training_data.TrainingData, keep_in_scope: float) -> Any:
    """Fit in-scope-only thresholds on val for an already trained model."""
    from bot.nlu.out_of_scope import fit_detector

    texts = [svc.model_text(e.text) for e in val.examples]
    probs, sim = svc.model.predict(svc.classifier_input(texts), texts)
    index = {n: i for i, n in enumerate(svc.model.labels)}
    y = np.array([index.get(e.intent, -1) for e in val.examples])
    is_oos = (y == -1) | (y == index.get(OOS_INTENT, -2))
    correct = probs.argmax(axis=1) == y
    # No out-of-scope examples passed on: the product's in-scope-only rule, as on data without them.
    keep = ~is_oos
    return fit_detector(probs.max(axis=1)[keep], sim[keep], correct[keep], is_oos[keep],
                        np.zeros(int(keep.sum()), bool), keep_in_scope=keep_in_scope)
