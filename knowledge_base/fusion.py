"""Reciprocal rank fusion of several ranked lists (Cormack et al., 2009), with a weight per list."""

from __future__ import annotations


def reciprocal_rank_fusion(ranked: list[tuple[float, list[int]]], rrf_k: int = 60) -> list[tuple[int, float]]:
    """Fuse (weight, ids best first) lists; return (id, fused score) pairs, best first.

    Ties keep the order in which ids first appear, so results are deterministic.
    """
    fused: dict[int, float] = {}
    for weight, ids in ranked:
        for rank, pid in enumerate(ids):
            fused[pid] = fused.get(pid, 0.0) + weight / (rrf_k + rank + 1)
    return sorted(fused.items(), key=lambda item: -item[1])
