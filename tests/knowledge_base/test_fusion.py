from __future__ import annotations

import pytest

from knowledge_base.fusion import reciprocal_rank_fusion


def test_reciprocal_rank_fusion_sums_weighted_reciprocal_ranks() -> None:
    fused = reciprocal_rank_fusion([(1.0, [1, 2, 3]), (2.0, [3, 1])], rrf_k=10)
    assert [pid for pid, _ in fused] == [3, 1, 2]
    assert dict(fused) == pytest.approx({1: 1 / 11 + 2 / 12, 2: 1 / 12, 3: 1 / 13 + 2 / 11})


def test_reciprocal_rank_fusion_ties_keep_first_seen_order() -> None:
    assert [p for p, _ in reciprocal_rank_fusion([(1.0, [7, 8]), (1.0, [8, 7])], rrf_k=60)] == [7, 8]


def test_reciprocal_rank_fusion_of_nothing_is_empty() -> None:
    assert reciprocal_rank_fusion([(1.0, []), (1.0, [])]) == []
