"""Calibrated scores: P(passage answers the query) by logistic regression on retrieval features.

Fitted on a validation split (Platt scaling with more than one feature); judged by expected
calibration error on the test split.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

MODES = ("hybrid", "dense", "bm25")


def features(mode: str, cosine: float, bm25: float, rank: int) -> list[float]:
    """Return the features the mode's calibrator reads (each retriever alone sees only its own)."""
    lexical = math.log1p(max(bm25, 0.0))  # BM25 grows with query length; the log tames the tail
    if mode == "dense":
        return [cosine]
    if mode == "bm25":
        return [lexical]
    return [cosine, lexical, 1.0 / rank]


def probability(coef: Sequence[float], feats: Sequence[float]) -> float:
    """Apply [bias, w1, w2, ...] to feats through the logistic function."""
    z = coef[0] + sum(w * x for w, x in zip(coef[1:], feats, strict=True))
    return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


def fit(rows: Sequence[Sequence[float]], labels: Sequence[int]) -> list[float]:
    """Fit [bias, weights...] on feature rows and 0/1 labels."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    if len(set(labels)) < 2:
        raise ValueError("calibration needs both relevant and irrelevant examples")
    model = LogisticRegression(C=10.0, max_iter=1000)
    model.fit(np.asarray(rows, dtype=np.float64), np.asarray(labels))
    return [round(float(model.intercept_[0]), 4), *(round(float(w), 4) for w in model.coef_[0])]


def expected_calibration_error(probs: Sequence[float], labels: Sequence[int], bins: int = 10) -> float:
    """Return the bin-size-weighted mean |accuracy - confidence| over equal-width bins."""
    if not probs:
        return 0.0
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        members = [(p, y) for p, y in zip(probs, labels, strict=True) if lo <= p < hi or (b == bins - 1 and p == 1.0)]
        if members:
            conf = sum(p for p, _ in members) / len(members)
            acc = sum(y for _, y in members) / len(members)
            total += len(members) * abs(acc - conf)
    return total / len(probs)
