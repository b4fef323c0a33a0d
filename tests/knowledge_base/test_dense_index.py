from __future__ import annotations

import numpy as np
import pytest

from knowledge_base.dense_index import DenseIndex, choose_kind


def unit_vectors(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def oracle(vecs: np.ndarray, ids: list[int], q: np.ndarray, k: int) -> list[int]:
    """Exact cosine over every vector: what any index must return."""
    scores = vecs @ q
    return [ids[i] for i in np.argsort(-scores, kind="stable")[:k]]


def test_choose_kind_is_exact_below_the_limit_and_ivf_above() -> None:
    assert (choose_kind(19999, 20000), choose_kind(20000, 20000)) == ("exact", "ivf")


def test_dense_index_exact_matches_brute_force_oracle() -> None:
    vecs, ids = unit_vectors(500), list(range(10, 510))
    index = DenseIndex(32, "exact")
    index.build(ids, vecs)
    for q in unit_vectors(20, seed=1):
        got = index.search(q, 10)
        assert [pid for pid, _ in got] == oracle(vecs, ids, q, 10)
        assert [s for _, s in got] == pytest.approx([float(vecs[pid - 10] @ q) for pid, _ in got], abs=1e-5)


def test_dense_index_ivf_probing_every_list_matches_oracle() -> None:
    vecs, ids = unit_vectors(2000), list(range(2000))
    index = DenseIndex(32, "ivf", nprobe=1000)  # more probes than lists: an exhaustive search
    index.build(ids, vecs)
    for q in unit_vectors(10, seed=2):
        assert [pid for pid, _ in index.search(q, 5)] == oracle(vecs, ids, q, 5)


def test_dense_index_remove_and_add_update_in_place() -> None:
    vecs = unit_vectors(100)
    for kind in ("exact", "ivf"):
        index = DenseIndex(32, kind, nprobe=100)
        index.build(list(range(100)), vecs)
        index.remove([7])
        assert 7 not in [pid for pid, _ in index.search(vecs[7], 100)]
        index.add([1000], vecs[7:8])
        assert index.search(vecs[7], 1)[0][0] == 1000
        assert len(index) == 100


def test_dense_index_empty_returns_nothing() -> None:
    index = DenseIndex(32)
    index.build([], np.zeros((0, 32), dtype=np.float32))
    assert index.search(unit_vectors(1)[0], 5) == []
