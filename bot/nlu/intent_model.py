"""The intent model: classifier + temperature + out-of-scope detector, trained and calibrated on held-out data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bot.nlu.calibration import expected_calibration_error, fit_temperature, softmax
from bot.nlu.classifier import OOS_INTENT, ClassifierConfig, IntentClassifier, fit_classifier
from bot.nlu.out_of_scope import OutOfScopeDetector, fit_detector

__all__ = ["OOS_INTENT", "Heldout", "IntentModel", "in_scope_confidence", "train_intent_model"]


@dataclass
class IntentModel:
    classifier: IntentClassifier
    temperature: float = 1.0
    detector: OutOfScopeDetector = field(default_factory=OutOfScopeDetector)
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return self.classifier.labels

    def predict(self, vecs: np.ndarray, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Return (calibrated probabilities, similarity to the nearest in-scope training examples)."""
        logits, sim = self.classifier.scores(vecs, texts)
        return softmax(logits / self.temperature), sim

    def oos_prob(self, probs: np.ndarray) -> np.ndarray | None:
        """The trained out_of_scope intent's probability per row (None without that intent)."""
        return probs[:, self.labels.index(OOS_INTENT)] if OOS_INTENT in self.labels else None

    def in_scope_confidence(self, probs: np.ndarray) -> np.ndarray:
        """The best real intent's probability per row (all intents but out_of_scope)."""
        return in_scope_confidence(probs, self.labels.index(OOS_INTENT) if OOS_INTENT in self.labels else -1)

    def fires(self, probs: np.ndarray, sim: np.ndarray) -> np.ndarray:
        """Where the out-of-scope detector fires for these predict() results."""
        return self.detector.fires(self.in_scope_confidence(probs), sim, self.oos_prob(probs))


def in_scope_confidence(probs: np.ndarray, oos_k: int) -> np.ndarray:
    """The best real intent's probability per row.

    This is the detector's confidence evidence. Where the top intent is a real one it is simply the
    top probability; where out_of_scope wins the message is out of scope anyway. Beside p(out_of_scope),
    the plain top probability would say "sure" for a confidently out-of-scope message, and the learned
    scorer then gave confidence a positive weight on the demo data.
    """
    if oos_k < 0 or probs.shape[1] < 2:  # oos_k: the out_of_scope intent's column, negative without one
        return probs.max(axis=1)
    return np.delete(probs, oos_k, axis=1).max(axis=1)


@dataclass(frozen=True)
class Heldout:
    """Validation embeddings, texts and intents (any intent; unknown ones count as out-of-scope)."""

    vecs: np.ndarray
    texts: list[str]
    intents: list[str]


def train_intent_model(vecs: np.ndarray, texts: list[str], intents: list[str], config: ClassifierConfig,
                       *, val: Heldout | None = None, keep_in_scope: float = 0.97, oos_objective: str = "scorer",
                       holdout_share: float = 0.15, keep_assurance: float = 0.9) -> IntentModel:
    """Train on all examples; fit temperature and out-of-scope thresholds on val (or held-out folds of train)."""
    labels = sorted(set(intents))
    index = {name: i for i, name in enumerate(labels)}
    y = np.array([index[i] for i in intents])
    final = fit_classifier(vecs, texts, y, labels, config)
    if val is not None:
        logits, sim = final.scores(val.vecs, val.texts)
        held_y = np.array([index.get(i, -1) for i in val.intents])
        source = "validation set"
    else:
        logits, sim, held_y = _heldout_scores(vecs, texts, y, labels, config, holdout_share)
        source = "held-out folds of train" if logits is not None else "none (fewer than 2 intents with 2+ examples)"
    model = IntentModel(final, metrics={"calibrated_on": source})
    # Intents too small to hold any example out are still trained and calibrated by the shared
    # temperature, but the held-out figures cannot cover them: say so rather than stay silent.
    counts = np.bincount(y, minlength=len(labels))
    if val is None and (counts < 2).any():
        model.metrics["not_in_heldout"] = [labels[k] for k in np.flatnonzero(counts < 2)]
    if logits is None or len(held_y) < 10:
        return model
    oos_k = index.get(OOS_INTENT, -2)
    is_oos = (held_y == -1) | (held_y == oos_k)
    known = held_y >= 0
    model.temperature = fit_temperature(logits[known], held_y[known]) if known.sum() >= 10 else 1.0
    probs = softmax(logits / model.temperature)
    top = probs.argmax(axis=1)
    conf = in_scope_confidence(probs, oos_k)
    correct = top == held_y
    model.detector = fit_detector(conf, sim, correct, is_oos, top == oos_k, keep_in_scope=keep_in_scope,
                                  objective=oos_objective, oos_prob=probs[:, oos_k] if oos_k >= 0 else None,
                                  seed=config.seed, assurance=keep_assurance)
    raw = softmax(logits[known])
    model.metrics.update(
        heldout_n=int(len(held_y)),
        heldout_accuracy=round(float(correct[known].mean()), 4),
        heldout_ece_uncalibrated=round(
            expected_calibration_error(raw.max(axis=1), raw.argmax(axis=1) == held_y[known]), 4),
        # Never measured on the examples its temperature was fitted on (see cross_fitted_ece).
        heldout_ece=_round(cross_fitted_ece(logits[known], held_y[known], seed=config.seed)),
        temperature=round(model.temperature, 4),
        min_confidence=round(model.detector.min_confidence, 4),
        min_similarity=round(model.detector.min_similarity, 4),
        detector=model.detector.method,
        keep_assurance=keep_assurance,
    )
    if model.detector.weights:
        model.metrics.update(oos_scorer_weights=[round(w, 4) for w in model.detector.weights],
                             oos_scorer_bias=round(model.detector.bias, 4),
                             oos_scorer_threshold=round(model.detector.threshold, 4))
    return model


def _round(x: float) -> float | None:
    return None if np.isnan(x) else round(x, 4)


def cross_fitted_ece(logits: np.ndarray, y: np.ndarray, seed: int = 13) -> float:
    """Return the ECE of temperature scaling measured only where the temperature was not fitted.

    The held-out examples are split in two halves; a temperature fitted on each half is scored on
    the other, and the two ECEs are averaged, weighted by half size.
    """
    n = len(y)
    if n < 20:  # too few to fit on one half and measure on the other
        return float("nan")
    perm = np.random.default_rng(seed).permutation(n)
    halves = (perm[: n // 2], perm[n // 2 :])
    total = 0.0
    for fit_on, score_on in (halves, halves[::-1]):
        p = softmax(logits[score_on] / fit_temperature(logits[fit_on], y[fit_on]))
        total += len(score_on) * expected_calibration_error(p.max(axis=1), p.argmax(axis=1) == y[score_on])
    return total / n


def _heldout_scores(vecs: np.ndarray, texts: list[str], y: np.ndarray, labels: list[str], config: ClassifierConfig,
                    holdout_share: float) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    from sklearn.model_selection import StratifiedKFold, train_test_split

    counts = np.bincount(y, minlength=len(labels))
    # An intent with one example cannot be held out and still trained: it always stays in training,
    # and the others are held out as usual.
    always = np.flatnonzero(counts[y] < 2)
    rest = np.flatnonzero(counts[y] >= 2)
    if (counts >= 2).sum() < 2:
        return None, np.zeros(0), y[:0]
    if len(rest) >= 3000:  # plenty of data: one stratified hold-out is as good as folds and several times cheaper
        tr, te = train_test_split(rest, test_size=holdout_share, stratify=y[rest], random_state=config.seed)
        folds = [(tr, te)]
    else:
        splitter = StratifiedKFold(n_splits=min(5, int(counts[counts >= 2].min())), shuffle=True,
                                   random_state=config.seed)
        folds = [(rest[tr], rest[te]) for tr, te in splitter.split(rest, y[rest])]
    folds = [(np.concatenate([tr, always]), te) for tr, te in folds]
    logits = np.zeros((len(y), len(labels)))
    sims = np.zeros(len(y))
    seen = np.zeros(len(y), dtype=bool)
    for tr, te in folds:
        part = fit_classifier(vecs[tr], [texts[i] for i in tr], y[tr], labels, config)
        lg, sm = part.scores(vecs[te], [texts[i] for i in te])
        logits[te] = lg
        sims[te] = sm
        seen[te] = True
    return logits[seen], sims[seen], y[seen]
