"""Calibration: temperature scaling fitted on validation data, and expected calibration error."""

from __future__ import annotations

import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
    """Return row-wise softmax probabilities."""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Return the temperature that minimises the negative log-likelihood of (logits, y)."""
    from scipy.optimize import minimize_scalar

    rows = np.arange(len(y))

    def nll(t: float) -> float:
        p = softmax(logits / t)
        return float(-np.mean(np.log(p[rows, y] + 1e-12)))

    return float(minimize_scalar(nll, bounds=(0.01, 50.0), method="bounded").x)


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Return ECE: the example-weighted mean of |accuracy - mean confidence| over equal-width bins.

    Bins are (0, 0.1], (0.1, 0.2], ..., (0.9, 1.0]; a confidence of exactly 0 falls in the first bin.
    """
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    if len(confidence) == 0:
        return 0.0
    # Rounding first keeps 0.3 in (0.2, 0.3] despite 0.3 * 10 == 3.0000000000000004.
    idx = np.clip(np.ceil(np.round(confidence * bins, 9)).astype(int) - 1, 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(ece)
