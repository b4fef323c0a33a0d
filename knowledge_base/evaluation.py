"""Offline evaluation: rank quality, no-answer decisions, latency and calibration for each retriever.

Queries are JSONL lines {"query": ..., "relevant": [article or passage id, ...]}; an empty list
means the right outcome is not to answer. With a validation file, fusion weights, calibration
and thresholds are chosen on it first, so the figures on the test file stay honest.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.embedding import Embedder
from knowledge_base.answering import Hit, choose, decide
from knowledge_base.articles import ArticleError, parse_article
from knowledge_base.calibration import expected_calibration_error, features, fit
from knowledge_base.index import ArticleDoc
from knowledge_base.rerank import rerank
from knowledge_base.retriever import MODES, Candidates, KnowledgeBase
from knowledge_base.settings import KBSettings

DEPTH = 50  # hits ranked per query for MRR
CALIBRATION_DEPTH = 10  # hits per query the calibrator learns from and is judged on


@dataclass(frozen=True)
class Query:
    query: str
    relevant: tuple[str, ...]
    segment: str | None = None


def load_articles(folder: Path) -> tuple[list[ArticleDoc], list[ArticleError]]:
    """Parse every published article in folder; collect the bad ones instead of stopping."""
    docs, errors, seen = [], [], set()
    for path in sorted(folder.glob("*.md")):
        try:
            a = parse_article(path.read_text(encoding="utf-8"), path.name)
        except ArticleError as exc:
            errors.append(exc)
            continue
        if a.id in seen:
            errors.append(ArticleError(path.name, "id", f"duplicates {a.id}"))
        elif a.status == "published":
            seen.add(a.id)
            docs.append(ArticleDoc(a.id, a.title, a.body, a.audience, 1))
    return docs, errors


def load_queries(path: Path) -> list[Query]:
    """Read JSONL queries; raise ValueError naming the line of a bad one."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out.append(Query(str(row["query"]), tuple(str(r) for r in row["relevant"]), row.get("segment")))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path.name} line {n}: expected {{\"query\": ..., \"relevant\": [...]}} ({exc})") from exc
    return out


def is_relevant(hit: Hit, relevant: tuple[str, ...]) -> bool:
    return hit.passage_id in relevant or hit.article_id in relevant


def first_relevant_rank(hits: list[Hit], relevant: tuple[str, ...]) -> int | None:
    """Return the 1-based rank of the first relevant result; articles count once unless passages are asked for."""
    by_passage = all("#" in r for r in relevant)
    seen: list[str] = []
    for h in hits:
        unit = h.passage_id if by_passage else h.article_id
        if unit in seen:
            continue
        seen.append(unit)
        if is_relevant(h, relevant):
            return len(seen)
    return None


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


def mrr_of(kb: KnowledgeBase, cands: list[Candidates], queries: list[Query], mode: str, **fusion: Any) -> float:
    """Return the mean reciprocal rank over answerable queries."""
    total, n = 0.0, 0
    for c, q in zip(cands, queries, strict=True):
        if q.relevant:
            rank = first_relevant_rank(kb.rank(c, mode=mode, k=DEPTH, **fusion), q.relevant)
            total += 1.0 / rank if rank else 0.0
            n += 1
    return total / n if n else 0.0


def decision_correct(kind: str, article_id: str | None, options: list[str], titles: dict[str, str], q: Query) -> bool:
    """Judge one decision: a right answer, a question offering the right topic, or declining when nothing fits."""
    if kind == "answer":
        return bool(q.relevant) and (article_id in q.relevant or any(r.split("#")[0] == article_id for r in q.relevant))
    if kind == "clarify":
        return any(titles.get(r.split("#")[0]) in options for r in q.relevant)
    return not q.relevant


def tune(kb: KnowledgeBase, queries: list[Query]) -> dict[str, Any]:
    """Choose fusion weights, calibration and per-mode thresholds on validation queries."""
    cands = [kb.candidates(q.query, segment=q.segment, mode="hybrid", pool=kb.settings.pool) for q in queries]
    best = max(
        ((dw, rk) for dw in (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0) for rk in (5, 10, 20, 60)),
        key=lambda p: mrr_of(kb, cands, queries, "hybrid", dense_weight=p[0], rrf_k=p[1]),
    )
    fusion: dict[str, Any] = {"dense_weight": best[0], "bm25_weight": 1.0, "rrf_k": best[1]}
    calibration: dict[str, list[float]] = {}
    for mode in MODES:
        rows, labels = [], []
        for c, q in zip(cands, queries, strict=True):
            for h in kb.rank(c, mode=mode, k=CALIBRATION_DEPTH, **fusion):
                rows.append(features(mode, h.dense_score, h.bm25_score, h.rank))
                labels.append(int(is_relevant(h, q.relevant)))
        try:
            calibration[mode] = fit(rows, labels)
        except ValueError:  # too few or one-sided examples: keep the configured coefficients
            calibration[mode] = list(kb.settings.calibration[mode])
    titles = {aid: kb.index.entries[ids[0]].title for aid, ids in kb.index.by_article.items()}
    thresholds: dict[str, dict[str, float]] = {}
    for mode in MODES:
        ranked = [rerank(q.query, kb.rank(c, mode=mode, k=10, calibration=calibration, **fusion),
                         kb.settings.rerank_type_weight, kb.settings.rerank_heading_weight, kb.settings.rerank_depth)
                  for c, q in zip(cands, queries, strict=True)]
        grid = [(t / 100, m) for t in range(5, 96, 5) for m in (0.0, 0.02, 0.05, 0.1, 0.15, 0.2)]

        def accuracy(tm: tuple[float, float], ranked: list[list[Hit]] = ranked) -> float:
            right = 0
            for hits, q in zip(ranked, queries, strict=True):
                kind, top, rival = choose(hits, tm[0], tm[1])
                options = [top.title, rival.title] if kind == "clarify" and top and rival else []
                right += decision_correct(kind, top.article_id if top else None, options, titles, q)
            return right / len(queries)

        t, m = max(grid, key=accuracy)
        thresholds[mode] = {"answer_threshold": t, "clarify_margin": m}
    return {"fusion": fusion, "calibration": calibration, "thresholds": thresholds}


def evaluate(
    folder: Path, queries: list[Query], embedder: Embedder, settings: KBSettings | None = None,
    validation: list[Query] | None = None,
) -> dict[str, Any]:
    """Index folder, tune on validation when given, and measure every mode on queries."""
    settings = settings or KBSettings()
    docs, errors = load_articles(folder)
    t0 = time.perf_counter()
    kb = KnowledgeBase.from_articles(docs, embedder, settings)
    index_seconds = time.perf_counter() - t0
    tuned = tune(kb, validation) if validation else None
    if tuned:
        kb.settings = settings = settings.model_copy(update=tuned["fusion"] | {"calibration": tuned["calibration"]})
    titles = {aid: kb.index.entries[ids[0]].title for aid, ids in kb.index.by_article.items()}
    parts = kb.index.build_seconds
    build = {"hybrid": index_seconds, "dense": parts["embed"] + parts["faiss"], "bm25": parts["bm25"]}
    results: dict[str, Any] = {}
    for mode in MODES:
        s = settings.model_copy(update=tuned["thresholds"][mode]) if tuned else settings
        kb.settings = s
        kb.search("warm up", segment=None, mode=mode)
        times, rr, hit1, hit5, probs, labels = [], [], 0, 0, [], []
        declined_right = declined = unanswerable = right = 0
        for q in queries:
            start = time.perf_counter()  # the answer path: retrieve, fuse, calibrate, decide
            hits = rerank(q.query, kb.rank(kb.candidates(q.query, segment=q.segment, mode=mode), mode=mode, k=DEPTH),
                          s.rerank_type_weight, s.rerank_heading_weight, s.rerank_depth)
            a = decide(hits[: max(s.k, 10)], s.answer_threshold, s.clarify_margin, s.answer_chars)
            times.append((time.perf_counter() - start) * 1000)
            right += decision_correct(a.kind, a.article_id, a.clarify_options, titles, q)
            for h in hits[:CALIBRATION_DEPTH]:
                probs.append(h.score)
                labels.append(int(is_relevant(h, q.relevant)))
            unanswerable += not q.relevant
            if a.kind != "answer":
                declined += 1
                declined_right += not q.relevant
            if q.relevant:
                rank = first_relevant_rank(hits, q.relevant)
                rr.append(1.0 / rank if rank else 0.0)
                hit1 += rank == 1
                hit5 += rank is not None and rank <= 5
        n_ans = max(1, len(rr))
        results[mode] = {
            "mrr": round(sum(rr) / n_ans, 4),
            "hit_at_1": round(hit1 / n_ans, 4),
            "hit_at_5": round(hit5 / n_ans, 4),
            "no_answer_precision": round(declined_right / declined, 4) if declined else 0.0,
            "no_answer_recall": round(declined_right / unanswerable, 4) if unanswerable else 0.0,
            "query_ms_p50": round(statistics.median(times), 2) if times else 0.0,
            "query_ms_p95": round(_percentile(times, 0.95), 2),
            "index_seconds": round(build[mode], 2),
            "n_docs": len(docs),
            "n_queries": len(queries),
            "ece": round(expected_calibration_error(probs, labels), 4),
            "decision_accuracy": round(right / len(queries), 4) if queries else 0.0,
        }
    return {
        "model": embedder.name,
        "n_passages": len(kb.index.entries),
        "index_kind": kb.index.kind,
        "article_errors": [str(e) for e in errors],
        "tuned": tuned,
        "settings": {k: v for k, v in settings.model_dump(mode="json").items() if k != "index_dir"},
        "modes": results,
    }


def format_table(report: dict[str, Any]) -> str:
    """Return the per-mode figures as an aligned text table."""
    modes = report["modes"]
    keys = list(next(iter(modes.values())))
    lines = [f"{'':22}" + "".join(f"{m:>12}" for m in modes)]
    for key in keys:
        lines.append(f"{key:22}" + "".join(f"{modes[m][key]:>12}" for m in modes))
    return "\n".join(lines)
