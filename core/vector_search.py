"""faiss searches for one query, on the calling thread alone.

faiss parallelises a search with OpenMP over every core. For one query on this 2-core machine that
gains nothing when it is quiet and costs dearly when it is not: a flat search over 15,100 vectors
took 0.7 ms on one thread and 20 ms p50 on two while another process was running (measured).
OpenMP's thread count is a per-thread setting, so pinning it here leaves batch work on other
threads (index builds, benchmarks) free to use every core.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def search_one_thread(index: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Return index.search(queries, k), run on one OpenMP thread; the thread's setting is restored."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        return index.search(queries, k)
    finally:
        faiss.omp_set_num_threads(before)
