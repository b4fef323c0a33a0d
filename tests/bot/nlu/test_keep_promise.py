"""The trained intent model's out-of-scope detector keeps, on new in-scope messages, the share of correct
answers it promises (issue 13): thresholds fitted on held-out folds of train, no validation set."""

from __future__ import annotations

import numpy as np

from bot.nlu.classifier import ClassifierConfig
from bot.nlu.intent_model import train_intent_model


def _clusters(rng: np.random.Generator, centroids: np.ndarray, n_per: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors scattered around each intent's centroid: about 0.78 top-1 accuracy, like a small tenant."""
    y = np.repeat(np.arange(len(centroids)), n_per)
    x = centroids[y] + 2.2 * rng.normal(size=(len(y), centroids.shape[1])) / np.sqrt(centroids.shape[1])
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), y


def test_detector_fitted_without_validation_keeps_the_promised_share_of_new_correct_answers() -> None:
    config = ClassifierConfig(c=1.0, char_weight=0.0, word_weight=0.0)  # embeddings only: no texts
    kept = []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        centroids = rng.normal(size=(10, 32))
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
        x, y = _clusters(rng, centroids, 150)
        model = train_intent_model(x, [""] * len(y), [f"intent{k}" for k in y], config, keep_in_scope=0.97)
        assert model.detector.method == "validation-in-scope"
        new_x, new_y = _clusters(rng, centroids, 3000)  # unseen messages from the same tenant
        probs, sim = model.predict(new_x, [""] * len(new_y))
        correct = probs.argmax(axis=1) == new_y
        kept.append(1 - model.fires(probs, sim)[correct].mean())
    # The old per-signal halves kept more than promised; an in-sample quantile could keep less. The
    # default assurance (0.9) puts each fit's thresholds a little lower, so the mean is above the promise
    # (0.982-0.987 here against 0.976-0.984 with plain split-conformal), but not by the old halves' margin.
    assert 0.97 <= float(np.mean(kept)) <= 0.99
    assert min(kept) >= 0.965


def test_trained_model_uses_the_assurance_it_is_given() -> None:
    config = ClassifierConfig(c=1.0, char_weight=0.0, word_weight=0.0)
    rng = np.random.default_rng(0)
    centroids = rng.normal(size=(10, 32))
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    x, y = _clusters(rng, centroids, 150)
    intents = [f"intent{k}" for k in y]
    plain = train_intent_model(x, [""] * len(y), intents, config, keep_in_scope=0.97, keep_assurance=0.0)
    assured = train_intent_model(x, [""] * len(y), intents, config, keep_in_scope=0.97)  # the default, 0.9
    assert assured.metrics["keep_assurance"] == 0.9
    # a lower rank: both thresholds sit lower, so the assured detector fires on less
    assert assured.detector.min_confidence < plain.detector.min_confidence
    assert assured.detector.min_similarity < plain.detector.min_similarity
