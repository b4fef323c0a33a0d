"""The intent model: classifier + temperature + out-of-scope detector, trained and calibrated on held-out data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bot.nlu.calibration import expected_calibration_error, fit_temperature, softmax
from bot.nlu.classifier import ClassifierConfig, IntentClassifier, fit_classifier
from bot.nlu.out_of_scope import OutOfScopeDetector, fit_detector

OOS_INTENT = "out_of_scope"


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
        """Return (calibrated probabilities, similarity to the nearest training example)."""
        logits, sim = self.classifier.scores(vecs, texts)
        return softmax(logits / self.temperature), sim


@dataclass(frozen=True)
class Heldout:
    """Validation embeddings, texts and intents (any intent; unknown ones count as out-of-scope)."""

    vecs: np.ndarray
    texts: list[str]
    intents: list[str]


def train_intent_model(vecs: np.ndarray, texts: list[str], intents: list[str], config: ClassifierConfig,
                       *, val: Heldout | None = None, keep_in_scope: float = 0.97,
                       holdout_share: float = 0.15) -> IntentModel:
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
        source = "held-out folds of train" if logits is not None else "none (too few examples)"
    model = IntentModel(final, metrics={"calibrated_on": source})
    if logits is None or len(held_y) < 10:
        return model
    oos_k = index.get(OOS_INTENT, -2)
    is_oos = (held_y == -1) | (held_y == oos_k)
    known = held_y >= 0
    model.temperature = fit_temperature(logits[known], held_y[known]) if known.sum() >= 10 else 1.0
    probs = softmax(logits / model.temperature)
    top = probs.argmax(axis=1)
    conf = probs.max(axis=1)
    correct = top == held_y
    model.detector = fit_detector(conf, sim, correct, is_oos, top == oos_k, keep_in_scope=keep_in_scope)
    raw = softmax(logits[known])
    model.metrics.update(
        heldout_n=int(len(held_y)),
        heldout_accuracy=round(float(correct[known].mean()), 4),
        heldout_ece_uncalibrated=round(
            expected_calibration_error(raw.max(axis=1), raw.argmax(axis=1) == held_y[known]), 4),
        heldout_ece=round(expected_calibration_error(conf[known], correct[known]), 4),
        temperature=round(model.temperature, 4),
        min_confidence=round(model.detector.min_confidence, 4),
        min_similarity=round(model.detector.min_similarity, 4),
        detector=model.detector.method,
    )
    return model


def _heldout_scores(vecs: np.ndarray, texts: list[str], y: np.ndarray, labels: list[str], config: ClassifierConfig,
                    holdout_share: float) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    from sklearn.model_selection import StratifiedKFold, train_test_split

    counts = np.bincount(y, minlength=len(labels))
    if len(labels) < 2 or counts.min() < 2:
        return None, np.zeros(0), y[:0]
    if len(y) >= 3000:  # plenty of data: one stratified hold-out is as good as folds and several times cheaper
        tr, te = train_test_split(np.arange(len(y)), test_size=holdout_share, stratify=y, random_state=config.seed)
        folds = [(tr, te)]
    else:
        folds = list(StratifiedKFold(n_splits=min(5, int(counts.min())), shuffle=True,
                                     random_state=config.seed).split(vecs, y))
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
