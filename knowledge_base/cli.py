"""`firstline kb ...`: evaluate retrieval, convert StackFAQ, import articles into the database."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def cmd_evaluate(args: argparse.Namespace) -> int:
    from core.embedding import get_embedder
    from knowledge_base.evaluation import evaluate, format_table, load_queries
    from knowledge_base.settings import KBSettings

    queries = load_queries(Path(args.queries))
    validation = load_queries(Path(args.validation)) if args.validation else None
    embedder = get_embedder(args.model)
    report = evaluate(Path(args.articles), queries, embedder, KBSettings(), validation)
    for err in report["article_errors"]:
        print(f"skipped article: {err}", file=sys.stderr)
    print(f"model {report['model']}, {report['n_passages']} passages, {report['index_kind']} index")
    print(format_table(report))
    if report["tuned"]:
        print("tuned on validation:", json.dumps(report["tuned"]))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


def cmd_convert_stackfaq(args: argparse.Namespace) -> int:
    from knowledge_base.convert import convert_stackfaq

    counts = convert_stackfaq(Path(args.source), Path(args.out))
    print(json.dumps(counts))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from core.db import Database
    from core.settings import get_settings
    from crm import migrate
    from knowledge_base.repository import ArticleRepository

    db = Database(get_settings().database_url)
    migrate(db)
    with db.session() as s:
        report = ArticleRepository().import_folder(s, Path(args.folder), author=args.author)
    print(f"created {len(report.created)}, updated {len(report.updated)}, skipped {len(report.skipped)}")
    for err in report.errors:
        print(f"error: {err}", file=sys.stderr)
    # A running app re-indexes on its next start (KnowledgeBase.open syncs by article version).
    return 1 if report.errors else 0


def add_commands(subparsers: Any) -> None:
    """Add the `kb` command group to a parent parser's subparsers."""
    kb = subparsers.add_parser("kb", help="knowledge base: evaluate, convert-stackfaq, import")
    sub = kb.add_subparsers(dest="kb_command", required=True)
    p = sub.add_parser("evaluate", help="measure hybrid, dense and BM25 retrieval on a query file")
    p.add_argument("--articles", required=True, help="folder of Markdown articles with front matter")
    p.add_argument("--queries", required=True, help='JSONL: {"query": ..., "relevant": [ids]} (empty = no answer)')
    p.add_argument("--json", help="also write the report here")
    p.add_argument("--validation", help="JSONL queries to tune fusion, calibration and thresholds on first")
    p.add_argument("--model", help="embedding model (default: the configured one; 'fake' for smoke tests)")
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("convert-stackfaq", help="write StackFAQ as articles plus validation/test query files")
    p.add_argument("--source", default="/work/shared/data/stackfaq/stackExchange-FAQ.json")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_convert_stackfaq)
    p = sub.add_parser("import", help="import Markdown articles into the database")
    p.add_argument("folder")
    p.add_argument("--author", default="import")
    p.set_defaults(func=cmd_import)


def main(argv: list[str] | None = None) -> int:
    """Run `python -m knowledge_base.cli kb ...`."""
    parser = argparse.ArgumentParser(prog="firstline")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
