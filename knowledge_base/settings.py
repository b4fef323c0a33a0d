"""Knowledge-base settings (env prefix FIRSTLINE_KB_), read once by whoever opens the knowledge base."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Logistic-regression coefficients per retrieval mode, [bias, w1, w2, ...] over
# calibration.features(); fitted by `firstline kb evaluate --validation` on the StackFAQ
# validation split with the bundled all-MiniLM-L6-v2 model (bench/kb/README.md).
DEFAULT_CALIBRATION: dict[str, list[float]] = {
    "hybrid": [-10.5582, 17.5743, 0.2232, 0.7962],
    "dense": [-10.5516, 18.5007],
    "bm25": [-7.7604, 3.9228],
}


class KBSettings(BaseSettings):
    """Retrieval, answering and index settings."""

    model_config = SettingsConfigDict(env_prefix="FIRSTLINE_KB_", extra="ignore")

    index_dir: Path | None = None  # default: <core data_dir>/kb
    # Shipped thresholds are chosen on the demo tenant's labelled questions (data/kb/demo-questions.jsonl):
    # chat questions are shorter than StackFAQ's, and the StackFAQ-fitted calibrator underrates them.
    # The StackFAQ benchmark tunes its own thresholds on its validation split.
    answer_threshold: float = 0.25  # calibrated probability below which the bot does not answer
    clarify_margin: float = 0.1  # top two articles closer than this (both above threshold): ask which
    k: int = 5
    pool: int = 50  # candidates each retriever contributes to fusion
    rrf_k: int = 5
    dense_weight: float = 2.0
    bm25_weight: float = 1.0
    calibration: dict[str, list[float]] = Field(default_factory=lambda: dict(DEFAULT_CALIBRATION))
    exact_below: int = 20000  # passages: exact (flat) faiss index below, IVF at and above
    # IVF lists searched per query (of sqrt(passages)): at 100,000 clustered vectors recall@10 is
    # 0.77 at 16, 0.87 at 32, 0.94 at 64, for about 0.4, 0.7 and 1.6 ms (bench.kb.scale).
    ivf_nprobe: int = 32
    # Lexical index: rebuild in the caller's thread below this many passages; above, changes
    # go to a small delta index at once and a background thread compacts. A full bm25s rebuild
    # costs about 0.2 ms a passage here, so above ~2,000 the delta path is the faster edit
    # (bench.kb.edit_latency --filler 5000: median 1.34 s at 20,000, 0.44 s at 2,000).
    lexical_sync_below: int = 2000
    # Saving the index: in the caller's thread below this many passages, in the background above
    # (a stale or missing save costs nothing but time: open() catches up from the database).
    save_sync_below: int = 2000
    answer_chars: int = 450
    # Passage reranking by question type and heading match (knowledge_base/rerank.py), over the top
    # rerank_depth passages; weights chosen on bench/kb/demo_passages.yml's validation questions.
    rerank_type_weight: float = 1.5
    rerank_heading_weight: float = 2.0
    rerank_depth: int = 10
    query_cache_size: int = 256  # query vectors kept (benchmarks set 0 to time every encoding)
