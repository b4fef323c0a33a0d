"""Intent classifier: sentence embeddings plus character and word n-grams into a logistic
regression, with nearest-neighbour evidence (a similarity-weighted vote of the k closest training
examples, or the closest example of each intent)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.vector_search import search_one_thread

MIN_DF_FROM = 1000  # examples
# Training examples of this intent are known out-of-scope questions (CLINC150 ships some).
OOS_INTENT = "out_of_scope"
# At or below this many inputs, scores() takes the one-message path (see _scores_few).
FEW = 8


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
    # A second logistic regression on the dense block (the embedding, plus dense_layers), its
    # log-probabilities averaged with the main model's (README "Defaults that generalise";
    # bench/results/nlu-val-research-layers.md).
    dense_ensemble: bool = True
    # What that second model reads beside the embedding: the L2-normalised mean pools of these hidden
    # states of the same forward pass (0 = word pieces, 6 = MiniLM's last layer, whose pool is the
    # embedding). The classifier's input then carries them as extra columns after the embedding
    # (core.embedding.encode_for_classifier); similarity and the main model use the embedding alone.
    # The product's default, layer 3, is NLUSettings.dense_layers; here none, so that plain embeddings
    # are a complete input.
    dense_layers: tuple[int, ...] = ()
    max_iter: int = 1000
    seed: int = 13

    def input_layers(self) -> tuple[int, ...]:
        """The hidden layers the classifier's input must carry after the embedding (none without the ensemble)."""
        return tuple(getattr(self, "dense_layers", ())) if getattr(self, "dense_ensemble", False) else ()


class IntentClassifier:
    """A fitted classifier; `scores` returns uncalibrated logits and the nearest-example similarity."""

    def __init__(self, labels: list[str], config: ClassifierConfig) -> None:
        self.labels = labels
        self.config = config
        self.char_vectorizer: Any = None
        self.word_vectorizer: Any = None
        self.lr: Any = None
        # The embedding-only logistic regression of the ensemble (None: the main model alone).
        self.dense_lr: Any = None
        # Columns of the input that are the sentence embedding; any after them are hidden-layer pools.
        self.emb_dim = 0
        self.train_vecs = np.zeros((0, 0), dtype=np.float32)
        self.train_labels = np.zeros(0, dtype=int)
        # Training examples sorted by intent, and where each present intent's run starts.
        self._order = np.zeros(0, dtype=int)
        self._starts = np.zeros(0, dtype=int)
        self._present = np.zeros(0, dtype=int)
        # Which (sorted) training examples count as in scope for the neighbourhood similarity.
        self._in_scope = np.zeros(0, dtype=bool)
        self._fast: _FastScorer | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_fast"] = None  # derived from lr and the vectorizers; rebuilt on first use, never saved
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("dense_lr", None)  # saved before the ensemble: the main model alone
        state.setdefault("emb_dim", state["train_vecs"].shape[1])
        self.__dict__.update(state)
        self._fast = None
        if "_in_scope" not in state:  # saved before out_of_scope examples were set apart: all count
            self._in_scope = np.ones(len(self.train_labels), dtype=bool)

    def set_examples(self, vecs: np.ndarray, y: np.ndarray) -> None:
        """Keep the training embeddings and labels, sorted by intent for fast per-intent maxima."""
        self.train_vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        self.train_labels = np.asarray(y, dtype=int)
        self._order = np.argsort(self.train_labels, kind="stable")
        sorted_labels = self.train_labels[self._order]
        self._present, self._starts = np.unique(sorted_labels, return_index=True)
        self.train_vecs = self.train_vecs[self._order]
        self.train_labels = sorted_labels
        oos = self.labels.index(OOS_INTENT) if OOS_INTENT in self.labels else -1
        self._in_scope = sorted_labels != oos

    def features(self, vecs: np.ndarray, texts: list[str]) -> Any:
        """Return the sparse feature matrix for embeddings and their texts."""
        from scipy.sparse import csr_matrix, hstack

        lower = [t.lower() for t in texts]
        blocks = [csr_matrix(self.embedding(vecs) * self.config.dense_weight)]
        if self.char_vectorizer is not None:
            blocks.append(self.char_vectorizer.transform(lower) * self.config.char_weight)
        if self.word_vectorizer is not None:
            blocks.append(self.word_vectorizer.transform(lower) * self.config.word_weight)
        return hstack(blocks).tocsr()

    def embedding(self, vecs: np.ndarray) -> np.ndarray:
        """The sentence-embedding columns of the classifier's input (without any hidden-layer pools)."""
        vecs = np.asarray(vecs)
        return vecs if vecs.shape[1] == self.emb_dim else vecs[:, : self.emb_dim]

    def class_similarity(self, vecs: np.ndarray) -> np.ndarray:
        """Return, per intent, the cosine similarity of each vector to that intent's closest example."""
        return self._class_max(np.asarray(self.embedding(vecs), dtype=np.float32) @ self.train_vecs.T)

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
        if len(texts) <= FEW and isinstance(getattr(self.lr, "coef_", None), np.ndarray):
            return self._scores_few(vecs, texts)
        return self._scores_batch(vecs, texts)

    def _scores_few(self, vecs: np.ndarray, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """scores() for a parse: the same numbers as _scores_batch, without scikit-learn's per-call costs.

        On CLINC150's model (151 intents, 15,100 examples) the batch path spent about 9 ms on one
        message beyond its embedding: 1.2 ms in TF-IDF transforms (mostly input validation), and up
        to 8 ms in the similarity to every training example, where OpenBLAS split a 15,100 x 384
        product over both cores of a machine that was busy anyway. Here the n-grams are looked up
        directly, and the nearest training examples come from an exact faiss search on one thread
        (0.7 ms; numpy's product on one thread took 2.4 ms).
        """
        if self._fast is None:
            self._fast = _FastScorer(self)
        vecs = np.asarray(vecs, dtype=np.float32)
        logits = self._fast.logits(vecs, texts)  # products too small for OpenBLAS to split over threads
        if not self.config.knn_weight:
            return logits, self._fast.neighbourhood_similarity(np.ascontiguousarray(self.embedding(vecs)))
        # kNN evidence (off by default) needs every similarity. Not under a BLAS thread limit: that
        # limit is process-wide, and concurrent parses restoring it out of order could leave it stuck.
        sims = self.embedding(vecs) @ self.train_vecs.T
        evidence = self.knn_vote(sims) if self.config.knn_k else self._class_max(sims)
        return logits + self.config.knn_weight * evidence, self.neighbourhood_similarity(sims)

    def _scores_batch(self, vecs: np.ndarray, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        logits = self.lr.decision_function(self.features(vecs, texts))
        if self.dense_lr is not None:
            logits = ensemble(logits, self.dense_lr.decision_function(np.asarray(vecs, dtype=np.float32)))
        elif logits.ndim == 1:  # scikit-learn returns one column for two classes
            logits = np.stack([-logits, logits], axis=1) / 2
        logits = _all_labels(logits, getattr(self.lr, "classes_", None), len(self.labels))
        sims = np.asarray(self.embedding(vecs), dtype=np.float32) @ self.train_vecs.T
        if self.config.knn_weight:
            evidence = self.knn_vote(sims) if self.config.knn_k else self._class_max(sims)
            logits = logits + self.config.knn_weight * evidence
        return logits, self.neighbourhood_similarity(sims)

    def in_scope_mask(self) -> np.ndarray:
        """Which stored training examples count as in scope (all but the out_of_scope intent's)."""
        return self._in_scope

    def neighbour_count(self) -> int:
        """How many nearest in-scope training examples the similarity evidence averages (0 with none)."""
        # Never more neighbours than the smallest intent has examples: an exact repeat of a rare
        # intent's only example must still look fully in scope.
        sizes = np.diff(np.append(self._starts, len(self.train_labels)))
        sizes = sizes[self.in_scope_mask()[self._starts]] if len(self._starts) else sizes
        return min(max(self.config.sim_k, 1), int(sizes.min())) if len(sizes) else 0

    def neighbourhood_similarity(self, sims: np.ndarray) -> np.ndarray:
        """Return the mean of each row's sim_k largest similarities to in-scope training examples.

        Examples of a trained out_of_scope intent are left out: being close to a known out-of-scope
        question is no evidence of being in scope. -1 when there are no in-scope examples.
        """
        k = self.neighbour_count()
        if k == 0:
            return np.full(len(sims), -1.0, dtype=np.float32)
        mask = self.in_scope_mask()
        if not mask.all():
            sims = sims[:, mask]
        if k == 1:
            return sims.max(axis=1)
        return (-np.partition(-sims, k - 1, axis=1)[:, :k]).mean(axis=1)


class _FastScorer:
    """What scores() needs for a few texts, without scikit-learn's per-call costs.

    logits: equal to decision_function(features(...)) up to float rounding: the same analyzers,
    vocabularies, sublinear tf, idf and L2 norm as TfidfVectorizer.transform, and the same weights.
    neighbourhood_similarity: the same nearest training examples, from an exact inner-product index.
    """

    def __init__(self, clf: IntentClassifier) -> None:
        import faiss

        self.k = clf.neighbour_count()
        self.index = faiss.IndexFlatIP(clf.train_vecs.shape[1])
        if self.k:
            self.index.add(np.ascontiguousarray(clf.train_vecs[clf.in_scope_mask()], dtype=np.float32))
        cfg, lr = clf.config, clf.lr
        coef = np.asarray(lr.coef_, dtype=np.float64)
        self.w = np.ascontiguousarray(coef.T)  # one row of class weights per feature: cheap to gather
        self.b = np.asarray(lr.intercept_, dtype=np.float64)
        self.two_class = coef.shape[0] == 1
        self.dim = clf.train_vecs.shape[1]
        self.dense_weight = cfg.dense_weight
        self.blocks = []
        offset = self.dim
        for vec, weight in ((clf.char_vectorizer, cfg.char_weight), (clf.word_vectorizer, cfg.word_weight)):
            if vec is None:
                continue
            self.blocks.append((vec.build_analyzer(), vec.vocabulary_, vec.idf_, bool(vec.sublinear_tf), weight,
                                offset))
            offset += len(vec.vocabulary_)
        self.classes = getattr(lr, "classes_", None)
        self.n_labels = len(clf.labels)
        self.dense: tuple[np.ndarray, np.ndarray] | None = None
        if clf.dense_lr is not None:
            self.dense = (np.ascontiguousarray(np.asarray(clf.dense_lr.coef_, dtype=np.float64).T),
                          np.asarray(clf.dense_lr.intercept_, dtype=np.float64))

    def neighbourhood_similarity(self, vecs: np.ndarray) -> np.ndarray:
        if self.k == 0:
            return np.full(len(vecs), -1.0, dtype=np.float32)
        top, _ = search_one_thread(self.index, vecs, self.k)
        return top.mean(axis=1) if self.k > 1 else top[:, 0]

    def logits(self, vecs: np.ndarray, texts: list[str]) -> np.ndarray:
        out = (vecs[:, : self.dim].astype(np.float64) * self.dense_weight) @ self.w[: self.dim] + self.b
        for row, text in enumerate(texts):
            lower = text.lower()
            for analyze, vocab, idf, sublinear, weight, offset in self.blocks:
                counts: dict[int, int] = {}
                for gram in analyze(lower):
                    j = vocab.get(gram)
                    if j is not None:
                        counts[j] = counts.get(j, 0) + 1
                if not counts:
                    continue
                idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
                tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
                vals = (np.log(tf) + 1.0 if sublinear else tf) * idf[idx]
                vals *= weight / np.sqrt(vals @ vals)
                out[row] += vals @ self.w[offset + idx]
        if self.dense is not None:
            out = ensemble(out, vecs.astype(np.float64) @ self.dense[0] + self.dense[1])
        elif self.two_class:  # scikit-learn's one column for two classes, as _scores_batch spreads it
            out = np.concatenate([-out, out], axis=1) / 2
        return _all_labels(out, self.classes, self.n_labels)


def _two_columns(z: np.ndarray) -> np.ndarray:
    """scikit-learn's decision_function gives one column (or a flat row) for two classes: spread it to two."""
    z = np.asarray(z, dtype=np.float64)
    if z.ndim == 1 or z.shape[1] == 1:
        z = z.reshape(-1, 1)
        return np.concatenate([-z, z], axis=1) / 2
    return z


def ensemble(main: np.ndarray, dense: np.ndarray) -> np.ndarray:
    """The mean of the two models' log-probabilities (as logits: softmax of it is their geometric mean).

    On validation data (BANKING77 val and its 5/10/20-per-intent subsets, CLINC150 val, the demo's
    held-out folds) this beat the main model alone; bench/results/nlu-val-research-layers.md.
    """
    from scipy.special import log_softmax

    return (log_softmax(_two_columns(main), axis=1) + log_softmax(_two_columns(dense), axis=1)) / 2


def _all_labels(logits: np.ndarray, classes: Any, n_labels: int) -> np.ndarray:
    """Logits over every label: an intent absent from this fit (no examples in a fold) gets -30."""
    if classes is None or len(classes) == n_labels:
        return logits
    full = np.full((len(logits), n_labels), -30.0)
    full[:, classes] = logits
    return full


def fit_classifier(vecs: np.ndarray, texts: list[str], y: np.ndarray, labels: list[str],
                   config: ClassifierConfig) -> IntentClassifier:
    """Fit the n-gram vocabularies and the logistic regression on labelled examples."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    model = IntentClassifier(labels, config)
    parts = 1 + len(config.input_layers())
    if vecs.shape[1] % parts:
        raise ValueError(f"input has {vecs.shape[1]} columns, not the embedding and {parts - 1} layer pools")
    model.emb_dim = vecs.shape[1] // parts
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
    model.set_examples(model.embedding(vecs), y)
    if len(labels) == 1:  # nothing to discriminate: a constant model
        model.lr = _ConstantLogits()
        return model
    from threadpoolctl import threadpool_limits

    lr = LogisticRegression(C=config.c, max_iter=config.max_iter, random_state=config.seed)
    # One BLAS thread: lbfgs on sparse features gains nothing from more, and on a busy machine
    # oversubscribed threads made the fit up to 7x slower (measured).
    with threadpool_limits(limits=1, user_api="blas"):
        model.lr = lr.fit(model.features(vecs, texts), y)
        if config.dense_ensemble:
            dense = LogisticRegression(C=config.c, max_iter=config.max_iter, random_state=config.seed)
            model.dense_lr = dense.fit(np.asarray(vecs, dtype=np.float32), y)
    return model


class _ConstantLogits:
    """Stand-in for a one-intent model: every input gets the same logit."""

    def decision_function(self, x: Any) -> np.ndarray:
        return np.zeros((x.shape[0], 1))
