"""StackFAQ benchmark: hybrid vs BM25 vs dense in one run, tuned on validation, reported on test.

Run: nice -n 10 .venv/bin/python -m bench.kb.stackfaq [--model bundled] [--out var/bench/stackfaq]
Writes bench/kb/results/stackfaq.json.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from knowledge_base.cli import main as kb_main

SOURCE = "/work/shared/data/stackfaq/stackExchange-FAQ.json"
RESULTS = Path(__file__).parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="bundled")
    parser.add_argument("--out", default="var/bench/stackfaq")
    args = parser.parse_args(argv)
    out = Path(args.out)
    kb_main(["kb", "convert-stackfaq", "--source", SOURCE, "--out", str(out)])
    return kb_main(["kb", "evaluate", "--articles", str(out / "articles"), "--queries", str(out / "queries-test.jsonl"),
                    "--validation", str(out / "queries-val.jsonl"), "--model", args.model,
                    "--json", str(RESULTS / f"stackfaq-{args.model}.json")])


if __name__ == "__main__":
    raise SystemExit(main())
