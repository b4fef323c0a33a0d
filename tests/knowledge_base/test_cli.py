from __future__ import annotations

import json
from pathlib import Path

from knowledge_base.cli import main
from tests.knowledge_base.factories import article_text


def test_cli_evaluate_prints_and_writes_the_report(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    arts = tmp_path / "a"
    arts.mkdir()
    (arts / "r.md").write_text(article_text("r", "Router", "## Lights\nrouter lights blinking red"))
    (tmp_path / "q.jsonl").write_text('{"query": "router lights", "relevant": ["r"]}\n')
    code = main(["kb", "evaluate", "--articles", str(arts), "--queries", str(tmp_path / "q.jsonl"),
                 "--json", str(tmp_path / "out.json"), "--model", "fake"])
    out = capsys.readouterr().out
    assert code == 0 and "mrr" in out and "hybrid" in out
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["modes"]["hybrid"]["mrr"] == 1.0 and report["modes"]["bm25"]["n_queries"] == 1


def test_cli_is_registered_under_firstline() -> None:
    from firstline.cli import build_parser

    args = build_parser().parse_args(["kb", "convert-stackfaq", "--out", "/tmp/x"])
    assert args.kb_command == "convert-stackfaq"
