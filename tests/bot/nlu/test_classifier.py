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


def test_ensemble_is_the_mean_of_both_models_log_probabilities() -> None:
    from scipy.special import log_softmax

    vecs, texts, y = _data(n=120, labels=5)
    clf = fit_classifier(vecs, texts, y, ["a", "b", "c", "d", "e"], ClassifierConfig())
    assert clf.dense_lr is not None
    q_vecs, q_texts, _ = _data(seed=4, n=20, labels=5)
    main = clf.lr.decision_function(clf.features(q_vecs, q_texts))
    dense = clf.dense_lr.decision_function(q_vecs)
    oracle = (log_softmax(main, axis=1) + log_softmax(dense, axis=1)) / 2
    np.testing.assert_allclose(clf.scores(q_vecs, q_texts)[0], oracle, atol=1e-6)
    # Switched off: the main model's logits alone, as before the ensemble.
    alone = fit_classifier(vecs, texts, y, ["a", "b", "c", "d", "e"], ClassifierConfig(dense_ensemble=False))
    assert alone.dense_lr is None
    np.testing.assert_allclose(alone.scores(q_vecs, q_texts)[0],
                               alone.lr.decision_function(alone.features(q_vecs, q_texts)), atol=1e-9)


def test_layer_columns_feed_the_dense_model_only() -> None:
    import pickle

    from bot.nlu.classifier import FEW

    vecs, texts, y = _data(n=120, labels=5)
    extra = _data(seed=9, n=120, labels=5)[0]
    wide = np.hstack([vecs, extra])
    labels = ["a", "b", "c", "d", "e"]
    clf = fit_classifier(wide, texts, y, labels, ClassifierConfig(dense_layers=(3,)))
    plain = fit_classifier(vecs, texts, y, labels, ClassifierConfig(dense_ensemble=False))
    assert clf.emb_dim == 16 and clf.dense_lr.coef_.shape[1] == 32
    # Similarity evidence and the main model read the embedding alone.
    np.testing.assert_array_equal(clf.train_vecs, plain.train_vecs)
    np.testing.assert_allclose(clf.lr.coef_, plain.lr.coef_)
    q = np.hstack([_data(seed=3, n=FEW)[0], _data(seed=5, n=FEW)[0]])
    q_texts = texts[:FEW]
    batch = clf._scores_batch(q, q_texts)
    np.testing.assert_allclose(batch[1], plain._scores_batch(q[:, :16], q_texts)[1], atol=1e-6)
    for n in (1, FEW):  # the one-message path agrees with the batch path
        few = clf.scores(q[:n], q_texts[:n])
        np.testing.assert_allclose(few[0], batch[0][:n], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(few[1], batch[1][:n], atol=1e-6)
    copy = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(copy.scores(q[:1], q_texts[:1])[0], batch[0][:1], rtol=1e-6, atol=1e-6)
    import pytest

    with pytest.raises(ValueError, match="layer pools"):
        fit_classifier(np.hstack([wide, vecs[:, :1]]), texts, y, labels, ClassifierConfig(dense_layers=(3,)))


def test_a_model_saved_before_the_ensemble_still_scores_as_it_did() -> None:
    import pickle

    vecs, texts, y = _data(n=80, labels=3)
    clf = fit_classifier(vecs, texts, y, ["a", "b", "c"], ClassifierConfig(dense_ensemble=False))
    before = clf.scores(vecs[:3], texts[:3])[0]
    del clf.dense_lr, clf.emb_dim  # the attributes an older model's pickle lacks
    old = pickle.loads(pickle.dumps(clf))
    assert old.dense_lr is None and old.emb_dim == 16
    np.testing.assert_allclose(old.scores(vecs[:3], texts[:3])[0], before, atol=1e-9)
