"""Intent classifier: sentence embeddings plus character and word n-grams into a logistic
regression, with nearest-neighbour evidence (the closest training example of each intent)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ClassifierConfig:
    c: float = 10.0
    dense_weight: float = 2.0
    char_weight: float = 1.0
    word_weight: float = 0.0
    # Logit bonus per unit of cosine similarity to an intent's closest training example.
    knn_weight: float = 0.0
    max_iter: int = 1000
    seed: int = 13


class IntentClassifier:
    """A fitted classifier; `scores` returns uncalibrated logits and the nearest-example similarity."""

    def __init__(self, labels: list[str], config: ClassifierConfig) -> None:
        self.labels = labels
        self.config = config
        self.char_vectorizer: Any = None
        self.word_vectorizer: Any = None
        self.lr: Any = None
        self.train_vecs = np.zeros((0, 0), dtype=np.float32)
        self.train_labels = np.zeros(0, dtype=int)

    def features(self, vecs: np.ndarray, texts: list[str]) -> Any:
        """Return the sparse feature matrix for embeddings and their texts."""
        from scipy.sparse import csr_matrix, hstack

        lower = [t.lower() for t in texts]
        blocks = [csr_matrix(vecs * self.config.dense_weight)]
        if self.char_vectorizer is not None:
            blocks.append(self.char_vectorizer.transform(lower) * self.config.char_weight)
        if self.word_vectorizer is not None:
            blocks.append(self.word_vectorizer.transform(lower) * self.config.word_weight)
        return hstack(blocks).tocsr()

    def class_similarity(self, vecs: np.ndarray) -> np.ndarray:
        """Return, per intent, the cosine similarity of each vector to that intent's closest example."""
        sims = vecs @ self.train_vecs.T
        out = np.full((len(vecs), len(self.labels)), -1.0, dtype=np.float32)
        for k in range(len(self.labels)):
            cols = self.train_labels == k
            if cols.any():
                out[:, k] = sims[:, cols].max(axis=1)
        return out

    def scores(self, vecs: np.ndarray, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Return (logits, max similarity to any training example) for each input."""
        logits = self.lr.decision_function(self.features(vecs, texts))
        if logits.ndim == 1:  # scikit-learn returns one column for two classes
            logits = np.stack([-logits, logits], axis=1) / 2
        classes = getattr(self.lr, "classes_", None)
        if classes is not None and len(classes) != len(self.labels):  # an intent absent from this fit
            full = np.full((len(vecs), len(self.labels)), -30.0)
            full[:, classes] = logits
            logits = full
        class_sim = self.class_similarity(vecs)
        if self.config.knn_weight:
            logits = logits + self.config.knn_weight * class_sim
        return logits, class_sim.max(axis=1)


def fit_classifier(vecs: np.ndarray, texts: list[str], y: np.ndarray, labels: list[str],
                   config: ClassifierConfig) -> IntentClassifier:
    """Fit the n-gram vocabularies and the logistic regression on labelled examples."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    model = IntentClassifier(labels, config)
    lower = [t.lower() for t in texts]
    if config.char_weight:
        model.char_vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                                max_features=60000).fit(lower)
    if config.word_weight:
        model.word_vectorizer = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                                                token_pattern=r"(?u)\b\w+\b", max_features=40000).fit(lower)
    model.train_vecs = np.ascontiguousarray(vecs, dtype=np.float32)
    model.train_labels = np.asarray(y, dtype=int)
    if len(labels) == 1:  # nothing to discriminate: a constant model
        model.lr = _ConstantLogits()
        return model
    from threadpoolctl import threadpool_limits

    lr = LogisticRegression(C=config.c, max_iter=config.max_iter, random_state=config.seed)
    # One BLAS thread: lbfgs on sparse features gains nothing from more, and on a busy machine
    # oversubscribed threads made the fit up to 7x slower (measured).
    with threadpool_limits(limits=1, user_api="blas"):
        model.lr = lr.fit(model.features(vecs, texts), y)
    return model


class _ConstantLogits:
    """Stand-in for a one-intent model: every input gets the same logit."""

    def decision_function(self, x: Any) -> np.ndarray:
        return np.zeros((x.shape[0], 1))
