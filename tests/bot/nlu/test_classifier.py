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
