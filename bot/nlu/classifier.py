"""Intent classifier: sentence embeddings plus character and word n-grams into a logistic
regression, with nearest-neighbour evidence (a similarity-weighted vote of the k closest training
examples, or the closest example of each intent)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

MIN_DF_FROM = 1000  # examples


@dataclass(frozen=True)
class ClassifierConfig:
    c: float = 10.0
    dense_weight: float = 2.0
    char_weight: float = 1.0
    word_weight: float = 1.0
    # Logit bonus per unit of nearest-neighbour evidence (0 = none).
    knn_weight: float = 0.0
    # k > 0: evidence is the similarity-weighted vote of the k nearest training examples, divided by k;
    # 0: the similarity to each intent's closest example.
    knn_k: int = 0
    # TF-IDF vocabulary limits: n-grams seen in fewer than min_df examples are dropped (fewer features,
    # faster fits), and at most char_max_features character n-grams are kept.
    min_df: int = 2
    char_max_features: int = 60000
    # The out-of-scope similarity evidence: the mean cosine similarity to the sim_k nearest training
    # examples (1 = the nearest only). On CLINC150 val + oos_val, mean top-5 separated out-of-scope
    # queries better than the nearest alone (AUROC 0.975 vs 0.964; bench/results/nlu-ablation-clinc150.json).
    sim_k: int = 5
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
        # Training examples sorted by intent, and where each present intent's run starts.
        self._order = np.zeros(0, dtype=int)
        self._starts = np.zeros(0, dtype=int)
        self._present = np.zeros(0, dtype=int)

    def set_examples(self, vecs: np.ndarray, y: np.ndarray) -> None:
        """Keep the training embeddings and labels, sorted by intent for fast per-intent maxima."""
        self.train_vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        self.train_labels = np.asarray(y, dtype=int)
        self._order = np.argsort(self.train_labels, kind="stable")
        sorted_labels = self.train_labels[self._order]
        self._present, self._starts = np.unique(sorted_labels, return_index=True)
        self.train_vecs = self.train_vecs[self._order]
        self.train_labels = sorted_labels

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
        return self._class_max(np.asarray(vecs, dtype=np.float32) @ self.train_vecs.T)

    def _class_max(self, sims: np.ndarray) -> np.ndarray:
        out = np.full((len(sims), len(self.labels)), -1.0, dtype=np.float32)
        if sims.shape[1]:
            # Examples are sorted by intent, so each intent's maximum is one reduceat segment.
            out[:, self._present] = np.maximum.reduceat(sims, self._starts, axis=1)
        return out

    def knn_vote(self, sims: np.ndarray) -> np.ndarray:
        """Return, per intent, the summed similarity of the k nearest training examples of it, over k."""
        k = min(self.config.knn_k, sims.shape[1])
        out = np.zeros((len(sims), len(self.labels)), dtype=np.float32)
        if k == 0:
            return out
        nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        rows = np.repeat(np.arange(len(sims)), k)
        np.add.at(out, (rows, self.train_labels[nearest].ravel()), np.take_along_axis(sims, nearest, 1).ravel())
        return out / k

    def scores(self, vecs: np.ndarray, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Return (logits, mean similarity to the sim_k nearest training examples) for each input."""
        logits = self.lr.decision_function(self.features(vecs, texts))
        if logits.ndim == 1:  # scikit-learn returns one column for two classes
            logits = np.stack([-logits, logits], axis=1) / 2
        classes = getattr(self.lr, "classes_", None)
        if classes is not None and len(classes) != len(self.labels):  # an intent absent from this fit
            full = np.full((len(vecs), len(self.labels)), -30.0)
            full[:, classes] = logits
            logits = full
        sims = np.asarray(vecs, dtype=np.float32) @ self.train_vecs.T
        if self.config.knn_weight:
            evidence = self.knn_vote(sims) if self.config.knn_k else self._class_max(sims)
            logits = logits + self.config.knn_weight * evidence
        return logits, self.neighbourhood_similarity(sims)

    def neighbourhood_similarity(self, sims: np.ndarray) -> np.ndarray:
        """Return the mean of each row's sim_k largest similarities (-1 with no training examples)."""
        # Never more neighbours than the smallest intent has examples: an exact repeat of a rare
        # intent's only example must still look fully in scope.
        smallest = int(np.diff(np.append(self._starts, len(self.train_labels))).min()) if len(self._starts) else 0
        k = min(max(self.config.sim_k, 1), smallest)
        if k == 0:
            return np.full(len(sims), -1.0, dtype=np.float32)
        if k == 1:
            return sims.max(axis=1)
        return (-np.partition(-sims, k - 1, axis=1)[:, :k]).mean(axis=1)


def fit_classifier(vecs: np.ndarray, texts: list[str], y: np.ndarray, labels: list[str],
                   config: ClassifierConfig) -> IntentClassifier:
    """Fit the n-gram vocabularies and the logistic regression on labelled examples."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    model = IntentClassifier(labels, config)
    lower = [t.lower() for t in texts]
    # min_df is for large data, where rare n-grams only cost fit time; on a small data set (the demo
    # bot's) a phrase seen once may be all there is to an intent.
    min_df = config.min_df if len(texts) >= MIN_DF_FROM else 1
    if config.char_weight:
        model.char_vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                                min_df=min_df, max_features=config.char_max_features).fit(lower)
    if config.word_weight:
        model.word_vectorizer = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                                                token_pattern=r"(?u)\b\w+\b", min_df=min_df,
                                                max_features=40000).fit(lower)
    model.set_examples(vecs, y)
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
