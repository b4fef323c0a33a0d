from __future__ import annotations

import threading

import faiss
import numpy as np

from core.vector_search import search_one_thread


def test_search_one_thread_gives_faiss_results_and_restores_the_threads_setting() -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(size=(500, 16)).astype(np.float32)
    index = faiss.IndexFlatIP(16)
    index.add(base)
    query = rng.normal(size=(1, 16)).astype(np.float32)
    seen: list[int] = []

    class Recording:
        def search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
            seen.append(faiss.omp_get_max_threads())
            return index.search(q, k)

    faiss.omp_set_num_threads(2)
    scores, ids = search_one_thread(Recording(), query, 5)
    assert seen == [1]
    assert faiss.omp_get_max_threads() == 2
    oracle = np.argsort(-(base @ query[0]))[:5]
    assert list(ids[0]) == list(oracle)
    np.testing.assert_allclose(scores[0], (base @ query[0])[oracle], rtol=1e-5)


def test_the_limit_is_the_calling_threads_own() -> None:
    faiss.omp_set_num_threads(2)
    inside = threading.Event()
    release = threading.Event()
    other: list[int] = []

    class Slow:
        def search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
            inside.set()
            release.wait(5)
            return np.zeros((1, k)), np.zeros((1, k), dtype=np.int64)

    t = threading.Thread(target=search_one_thread, args=(Slow(), np.zeros((1, 4), np.float32), 1))
    t.start()
    assert inside.wait(5)
    other.append(faiss.omp_get_max_threads())  # this thread, while the other is pinned to one
    release.set()
    t.join()
    assert other == [2]
