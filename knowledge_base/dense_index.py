"""The dense side: a faiss inner-product index over passage vectors, chosen by corpus size."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from core.vector_search import search_one_thread


def choose_kind(n_passages: int, exact_below: int) -> str:
    """Return "exact" for small corpora, "ivf" for large ones.

    IVF rather than HNSW: faiss HNSW cannot remove vectors, and edits must not need a rebuild.
    """
    return "exact" if n_passages < exact_below else "ivf"


class DenseIndex:
    """Vectors by integer passage id; add and remove in place. Not thread-safe: the owner locks."""

    def __init__(self, dim: int, kind: str = "exact", nprobe: int = 16) -> None:
        self.dim = dim
        self.kind = kind
        self.nprobe = nprobe
        self._index: Any = None
        self._trained: bytes | None = None  # the IVF index as trained, before any vector was added
        self.vectors: dict[int, np.ndarray] = {}

    def build(self, ids: list[int], vecs: np.ndarray) -> None:
        """Replace the contents with vecs (an IVF index trains its centroids on them)."""
        import faiss

        self.vectors = {}
        if self.kind == "ivf":
            nlist = max(1, int(math.sqrt(len(ids))))
            quantizer = faiss.IndexFlatIP(self.dim)
            index = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            index.train(vecs)
            index.nprobe = self.nprobe
            self._index = index
            self._trained = faiss.serialize_index(index).tobytes()
        else:
            self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        self.add(ids, vecs)

    def add(self, ids: list[int], vecs: np.ndarray) -> None:
        if self._index is None:
            self.build([], np.zeros((0, self.dim), dtype=np.float32))
        if ids:
            self._index.add_with_ids(np.ascontiguousarray(vecs, dtype=np.float32), np.asarray(ids, dtype=np.int64))
            self.vectors.update(zip(ids, vecs, strict=True))

    def remove(self, ids: list[int]) -> None:
        if ids and self._index is not None:
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))
        for i in ids:
            self.vectors.pop(i, None)

    def __len__(self) -> int:
        return len(self.vectors)

    def search(self, qvec: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Return (id, cosine) pairs, best first."""
        if self._index is None or not self.vectors or k <= 0:
            return []
        scores, ids = search_one_thread(self._index, qvec.reshape(1, -1).astype(np.float32), min(k, len(self.vectors)))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def cosine(self, qvec: np.ndarray, pid: int) -> float:
        return float(self.vectors[pid] @ qvec)

    def serialize(self) -> bytes | None:
        """Return the trained, empty IVF index as bytes (None for an exact index).

        Computed once per build and never changed, so saving needs no copy of the live index: the
        vectors are saved beside it and added back on load.
        """
        return self._trained

    @classmethod
    def load(cls, folder: Path, dim: int, kind: str, nprobe: int) -> DenseIndex:
        import faiss

        out = cls(dim, kind, nprobe)
        if kind == "ivf":
            out._trained = (folder / "dense.faiss").read_bytes()
            out._index = faiss.deserialize_index(np.frombuffer(out._trained, dtype=np.uint8))
            if not out._index.is_trained or out._index.ntotal:
                raise ValueError("the saved IVF index is not a trained, empty index")
            out._index.nprobe = nprobe
        else:
            out._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        ids = np.load(folder / "dense_ids.npy")
        vecs = np.load(folder / "dense_vectors.npy").astype(np.float32)
        if len(ids) != len(vecs) or (len(vecs) and vecs.shape[1] != dim):
            raise ValueError("dense ids and vectors disagree")
        out.add([int(i) for i in ids], vecs)
        return out
