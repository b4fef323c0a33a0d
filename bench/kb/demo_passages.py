"""Passage choice on the demo tenant: does the answer come from the passage that answers the question?

Run: .venv/bin/python -m bench.kb.demo_passages [--choose] [--json OUT]
Reads bench/kb/demo_passages.yml (questions labelled with article and heading). Prints passage@1 and
article@1 on val and test without reranking and with the shipped weights; --choose grid-searches the
reranker's weights on val only and prints the best (test is never used to choose).
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import yaml

HERE = Path(__file__).parent
ARTICLES = HERE.parents[1] / "knowledge_base" / "articles"


def build_kb(settings_update: dict | None = None):  # type: ignore[no-untyped-def]
    from core.embedding import get_embedder
    from knowledge_base import ArticleDoc, KBSettings, KnowledgeBase, parse_article

    docs = []
    for f in sorted(ARTICLES.glob("*.md")):
        a = parse_article(f.read_text(encoding="utf-8"), f.name)
        docs.append(ArticleDoc(a.id, a.title, a.body, a.audience, 1))
    return KnowledgeBase.from_articles(docs, get_embedder(), KBSettings(**(settings_update or {})))


def score(kb, questions: list[dict], type_weight: float, heading_weight: float) -> dict[str, float]:  # type: ignore[no-untyped-def]
    kb.settings = kb.settings.model_copy(update={"rerank_type_weight": type_weight,
                                                 "rerank_heading_weight": heading_weight})
    passage = article = 0
    for q in questions:
        a = kb.answer(q["q"], segment=None)
        top = next((h for h in a.candidates if h.article_id == a.article_id), None) if a.kind == "answer" else None
        if top is None and a.candidates:  # clarify / no answer: judge the best passage all the same
            top = max(a.candidates, key=lambda h: (h.score, -h.rank))
        article += top is not None and top.article_id == q["article"]
        passage += top is not None and top.article_id == q["article"] and top.heading == q["heading"]
    return {"passage_at_1": round(passage / len(questions), 3), "article_at_1": round(article / len(questions), 3),
            "n": len(questions)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--choose", action="store_true", help="grid-search the weights on val")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    from knowledge_base import KBSettings

    qs = yaml.safe_load((HERE / "demo_passages.yml").read_text())["questions"]
    val, test = [q for q in qs if q["split"] == "val"], [q for q in qs if q["split"] == "test"]
    kb = build_kb()
    shipped = KBSettings()
    out: dict = {"machine": f"{platform.processor() or platform.machine()}, {platform.python_version()}",
                 "model": kb.embedder.name}
    if args.choose:
        grid = [(t, h) for t in (0.0, 0.5, 1.0, 1.5, 2.0, 3.0) for h in (0.0, 0.5, 1.0, 2.0)]
        rows = {f"{t}/{h}": score(kb, val, t, h)["passage_at_1"] for t, h in grid}
        best = max(grid, key=lambda th: (rows[f"{th[0]}/{th[1]}"], -th[0] - th[1]))
        out["val_grid"] = rows
        out["chosen_on_val"] = {"type_weight": best[0], "heading_weight": best[1]}
        print("val passage@1 by type/heading weight:", rows)
        print("chosen on val:", out["chosen_on_val"])
    for name, (t, h) in {"no_rerank": (0.0, 0.0),
                         "rerank": (shipped.rerank_type_weight, shipped.rerank_heading_weight)}.items():
        out[name] = {"val": score(kb, val, t, h), "test": score(kb, test, t, h)}
        print(f"{name:10} val {out[name]['val']}  test {out[name]['test']}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
