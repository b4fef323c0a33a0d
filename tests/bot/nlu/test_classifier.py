from __future__ import annotations

import numpy as np

from bot.nlu.classifier import ClassifierConfig, fit_classifier


def _data(seed: int = 0, n: int = 60, labels: int = 4, dim: int = 16) -> tuple[np.ndarray, list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, labels, n)
    vecs = rng.normal(size=(n, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs, [f"text {i} of intent {k}" for i, k in enumerate(y)], y


def test_class_similarity_matches_brute_force_per_intent_maximum() -> None:
    vecs, texts, y = _data()
    y[y == 3] = 2  # intent 3 has no examples: its similarity stays at the floor
    clf = fit_classifier(vecs, texts, y, ["a", "b", "c", "d"], ClassifierConfig(char_weight=0.0))
    queries = _data(seed=1, n=7)[0]
    sims = queries @ vecs.T
    oracle = np.array([[sims[q, y == k].max() if (y == k).any() else -1.0 for k in range(4)] for q in range(7)])
    assert np.allclose(clf.class_similarity(queries), oracle, atol=1e-6)


def test_knn_vote_matches_brute_force_top_k() -> None:
    vecs, texts, y = _data()
    clf = fit_classifier(vecs, texts, y, ["a", "b", "c", "d"], ClassifierConfig(char_weight=0.0, knn_k=5))
    queries = _data(seed=2, n=5)[0]
    sims = queries @ vecs.T
    oracle = np.zeros((5, 4))
    for q in range(5):
        for i in np.argsort(-sims[q])[:5]:
            oracle[q, y[i]] += sims[q, i] / 5
    # knn_vote takes similarities to the stored (intent-sorted) training examples
    assert np.allclose(clf.knn_vote(queries @ clf.train_vecs.T), oracle, atol=1e-5)


def test_nearest_similarity_is_the_closest_training_example() -> None:
    vecs, texts, y = _data()
    clf = fit_classifier(vecs, texts, y, ["a", "b", "c", "d"],
                         ClassifierConfig(char_weight=0.0, knn_weight=1.0, sim_k=1))
    _, nearest = clf.scores(vecs[:3], texts[:3])
    assert np.allclose(nearest, 1.0, atol=1e-5)  # each is its own nearest neighbour


def test_neighbourhood_similarity_is_the_mean_of_the_k_largest() -> None:
    vecs, texts, y = _data()
    clf = fit_classifier(vecs, texts, y, ["a", "b", "c", "d"], ClassifierConfig(char_weight=0.0, sim_k=3))
    queries = _data(seed=4, n=6)[0]
    _, got = clf.scores(queries, ["q"] * 6)
    oracle = np.sort(queries @ vecs.T, axis=1)[:, -3:].mean(axis=1)
    assert np.allclose(got, oracle, atol=1e-5)


def _texts(y: np.ndarray, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    words = ["bill", "refund", "wifi", "router", "password", "reset", "my", "the", "is", "down", "card", "lost",
             "café", "naïve", "ÉTÉ", "why", "can't", "?!", "12345", "again"]
    return [" ".join(rng.choice(words, size=rng.integers(1, 9))) + f" {k}" for k in y]


def test_one_message_path_gives_the_batch_paths_logits_and_similarities() -> None:
    import pickle

    from bot.nlu.classifier import FEW

    vecs, _, y = _data(n=120, labels=5)
    texts = _texts(y, 0)
    cases = [
        (y, ClassifierConfig()),  # char and word n-grams, several intents
        (np.where(y > 2, 1, 0), ClassifierConfig(sim_k=1)),  # two intents: scikit-learn's one-column case
        (np.where(y == 4, 3, y), ClassifierConfig(word_weight=0.0, knn_weight=0.5, knn_k=4)),  # an absent intent
        (y, ClassifierConfig(char_weight=0.0, word_weight=0.0, dense_weight=1.0)),  # embeddings alone
    ]
    q_vecs, _, q_y = _data(seed=3, n=FEW)
    queries = _texts(q_y, 1)
    queries[0] = "zzz qqq"  # no known n-gram at all
    queries[1] = ""
    for labels_y, cfg in cases:
        clf = fit_classifier(vecs, texts, labels_y, ["a", "b", "c", "d", "e"], cfg)
        batch = clf._scores_batch(q_vecs, queries)
        for n in (1, FEW):  # equal up to float32 vs float64 rounding of the embeddings
            few = clf.scores(q_vecs[:n], queries[:n])
            assert clf._fast is not None  # the fast path really ran
            np.testing.assert_allclose(few[0], batch[0][:n], rtol=1e-6, atol=1e-6)
            np.testing.assert_allclose(few[1], batch[1][:n], atol=1e-6)
        # The derived weights are rebuilt after loading, never saved with the model.
        copy = pickle.loads(pickle.dumps(clf))
        assert copy._fast is None
        np.testing.assert_allclose(copy.scores(q_vecs[:1], queries[:1])[0], batch[0][:1], rtol=1e-6, atol=1e-6)


def test_neighbourhood_similarity_leaves_out_the_known_out_of_scope_examples() -> None:
    vecs, texts, y = _data(n=80, labels=3)
    labels = ["a", "b", "out_of_scope"]
    clf = fit_classifier(vecs, texts, y, labels, ClassifierConfig(char_weight=0.0, word_weight=0.0, sim_k=2))
    oos_rows = np.flatnonzero(y == 2)[:4]
    in_scope = vecs[y != 2]
    oracle = np.sort(vecs[oos_rows] @ in_scope.T, axis=1)[:, -2:].mean(axis=1)
    # A repeat of a known out-of-scope question is measured against in-scope examples only ...
    for got in (clf.scores(vecs[oos_rows], [texts[i] for i in oos_rows])[1],  # one-message path
                clf._scores_batch(vecs[oos_rows], [texts[i] for i in oos_rows])[1]):
        np.testing.assert_allclose(got, oracle, atol=1e-5)
        assert (got < 0.99).all()
    # ... while a repeat of an in-scope example still finds itself.
    row = int(np.flatnonzero(y == 0)[0])
    own = np.sort(in_scope @ vecs[row])[-2:]
    assert own[-1] > 0.9999  # itself, the nearest of the two
    np.testing.assert_allclose(clf.scores(vecs[row : row + 1], [texts[row]])[1][0], own.mean(), atol=1e-5)
