"""Out-of-scope detection from two kinds of evidence: the calibrated top-intent probability and the
similarity to the nearest training example. Works without out-of-scope examples; uses them when present."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OutOfScopeDetector:
    min_confidence: float = 0.3
    min_similarity: float = -1.0
    method: str = "default"

    def fires(self, confidence: np.ndarray, similarity: np.ndarray) -> np.ndarray:
        """Return True where an input is too unlike the training data to trust its intent."""
        return (np.asarray(confidence) < self.min_confidence) | (np.asarray(similarity) < self.min_similarity)


def fit_detector(confidence: np.ndarray, similarity: np.ndarray, correct: np.ndarray, is_oos: np.ndarray,
                 predicted_oos: np.ndarray, *, keep_in_scope: float = 0.97, floor: float = 0.05,
                 cap: float = 0.9, objective: str = "keep") -> OutOfScopeDetector:
    """Choose thresholds on validation data.

    With out-of-scope validation examples, over a grid of both thresholds: objective "keep" maximises
    out-of-scope recall among the pairs that keep `keep_in_scope` of the correct in-scope answers;
    "balanced" maximises the mean of in-scope accuracy and out-of-scope recall. Without them: keep
    `keep_in_scope` of the correctly classified in-scope examples (1.0: no thresholds).
    """
    confidence, similarity = np.asarray(confidence, float), np.asarray(similarity, float)
    correct, is_oos, predicted_oos = (np.asarray(a, bool) for a in (correct, is_oos, predicted_oos))
    ok = correct & ~is_oos
    if ok.sum() < 5:
        return OutOfScopeDetector()
    if is_oos.sum() >= 5 and (~is_oos).sum() >= 5:
        c_grid = np.unique(np.clip(np.quantile(confidence, np.linspace(0, 0.6, 61)), floor, cap))
        s_grid = np.unique(np.concatenate([[-1.0], np.quantile(similarity, np.linspace(0, 0.4, 41))]))
        best, best_score = OutOfScopeDetector(), (-1.0, -1.0)
        for s in s_grid:
            low_sim = similarity < s
            for c in c_grid:
                fired = (confidence < c) | low_sim
                kept = (ok & ~fired).sum() / ok.sum()
                oos_rec = (is_oos & (fired | predicted_oos)).sum() / is_oos.sum()
                if objective == "keep":
                    if kept < keep_in_scope:
                        continue
                    score = (oos_rec, kept)
                else:
                    score = (0.5 * ((ok & ~fired).sum() / (~is_oos).sum() + oos_rec), kept)
                if score > best_score:
                    best, best_score = OutOfScopeDetector(float(c), float(s), f"validation-oos-{objective}"), score
        if best_score[0] >= 0:
            return best
    if keep_in_scope >= 1.0:  # asked to keep every in-scope answer: no thresholds at all
        return OutOfScopeDetector(0.0, -1.0, "off")
    q = 1.0 - keep_in_scope
    # Split the rejection budget between the two detectors so together they keep about keep_in_scope.
    c = float(np.clip(np.quantile(confidence[ok], q / 2), floor, cap))
    s = float(np.quantile(similarity[ok], q / 2))
    return OutOfScopeDetector(c, s, "validation-in-scope")
