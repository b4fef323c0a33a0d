from __future__ import annotations

from knowledge_base.lexical_index import LexicalIndex, tokenize_query

DOCS = {
    1: ("restart the router by holding the power button", "all"),
    2: ("pay your bill by direct debit", "all"),
    3: ("business fault response within four hours", "business"),
    4: ("home fault response next working day", "residential"),
}


def fresh(docs: dict[int, tuple[str, str]]) -> LexicalIndex:
    index = LexicalIndex()
    index.build(docs)
    return index


def test_tokenize_query_lowercases_and_drops_stopwords() -> None:
    assert tokenize_query("How do I restart THE Router?") == ["how", "do", "restart", "router"]


def test_lexical_search_finds_matching_passage_only() -> None:
    hits = fresh(DOCS).search("restart router", 10)
    assert [pid for pid, _ in hits] == [1]


def test_lexical_search_filters_groups() -> None:
    index = fresh(DOCS)
    assert [p for p, _ in index.search("fault response", 10, {"all", "residential"})] == [4]
    assert [p for p, _ in index.search("fault response", 10, {"all", "business"})] == [3]


def test_lexical_search_stopword_only_query_is_empty() -> None:
    assert fresh(DOCS).search("the and of", 5) == []


def test_lexical_replace_small_index_rebuilds_at_once() -> None:
    index = fresh(DOCS)
    index.replace([1], {9: ("reboot the modem with the switch", "all")})
    assert index.search("router restart", 5) == []
    assert [p for p, _ in index.search("reboot modem", 5)] == [9]


def test_lexical_replace_large_index_uses_delta_then_compacts_to_a_fresh_build() -> None:
    index = LexicalIndex(sync_below=0)  # force the large-corpus path: delta plus background compaction
    index.build(DOCS)
    index.replace([1], {9: ("reboot the modem with the switch", "all")})
    # searchable before compaction finishes: removed text hidden, new text found
    assert index.search("router restart", 5) == []
    assert [p for p, _ in index.search("reboot modem", 5)] == [9]
    index.wait_compacted()
    expected = fresh({k: v for k, v in DOCS.items() if k != 1} | {9: ("reboot the modem with the switch", "all")})
    for q in ("reboot modem", "fault response", "pay bill debit"):
        assert index.search(q, 5) == expected.search(q, 5)


def test_lexical_index_default_edit_at_a_few_thousand_passages_takes_the_delta_path() -> None:
    from knowledge_base import KBSettings

    docs = {i: (f"passage {i} about topic{i % 50}", "all") for i in range(2500)}
    index = LexicalIndex(KBSettings().lexical_sync_below)
    index.build(docs)
    main = index._main
    index.replace([7], {9999: ("zebra crossing okapi", "all")})
    assert index._main is main  # no full rebuild in the caller's thread
    assert [pid for pid, _ in index.search("zebra okapi", 3)] == [9999]
    assert 7 not in {pid for pid, _ in index.search("passage 7 topic7", 50)}
    index.wait_compacted(30)


def test_lexical_search_matches_bm25s_own_retrieval_on_a_larger_corpus() -> None:
    """Our top-k over the matching passages agrees with bm25s.retrieve (the oracle) on scores and order."""
    import numpy as np

    rng = np.random.default_rng(3)
    vocab = [f"word{i}" for i in range(300)]
    docs = {i + 1: (" ".join(rng.choice(vocab, size=12)), "all") for i in range(2000)}
    index = fresh(docs)
    seg = index._main
    assert seg is not None
    for q in ("word1 word2", "word7 word250 word13", "word299"):
        ours = index.search(q, 10)
        tokens = tokenize_query(q)
        got, scores = seg.retriever.retrieve([tokens], k=10, show_progress=False, n_threads=0)
        oracle = [(int(seg.ids[d]), float(s)) for d, s in zip(got[0], scores[0], strict=True) if s > 0]
        assert [round(s, 5) for _, s in ours] == [round(s, 5) for _, s in oracle]
        assert {p for p, _ in ours} == {p for p, _ in oracle} or ours[-1][1] == oracle[-1][1]  # ties at the cut
