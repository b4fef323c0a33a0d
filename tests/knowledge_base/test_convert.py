from __future__ import annotations

import json
from pathlib import Path

from knowledge_base import parse_article
from knowledge_base.convert import convert_stackfaq


def stackfaq(tmp_path: Path, n: int) -> Path:
    threads = [{"question": f"How do I use <del> tag {i}?", "answer": [f"Use <del>x</del> {i}.", "# Or this"],
                "rephr": [f"question {i} way {j}" for j in range(4)] + ["*", None]} for i in range(n)]
    src = tmp_path / "faq.json"
    src.write_text(json.dumps({"root": {"qapair": threads}}))
    return src


def test_convert_stackfaq_writes_valid_articles_and_split_queries(tmp_path: Path) -> None:
    counts = convert_stackfaq(stackfaq(tmp_path, 40), tmp_path / "out")
    articles = {p.stem: parse_article(p.read_text(), p.name) for p in (tmp_path / "out" / "articles").glob("*.md")}
    val = [json.loads(x) for x in (tmp_path / "out" / "queries-val.jsonl").read_text().splitlines()]
    test = [json.loads(x) for x in (tmp_path / "out" / "queries-test.jsonl").read_text().splitlines()]
    assert counts["articles"] == len(articles) and counts["queries_val"] + counts["queries_test"] == 40 * 4
    assert len(val) == counts["queries_val"] and len(test) == counts["queries_test"]
    a = next(iter(articles.values()))
    assert a.title.startswith("How do I use tag") and "## Answer 1" in a.body and "`<del>`" in a.body
    assert "\\# Or this" in a.body  # an answer starting with # is text, not a heading
    for q in val + test:  # every answerable query points at an article that exists
        assert q["relevant"] == [] or q["relevant"][0] in articles
    no_answer = {q["query"].split(" way")[0] for q in val + test if not q["relevant"]}
    assert len(no_answer) == 40 - len(articles)
    # a left-out thread's queries sit wholly in one split
    assert not {q["query"].split(" way")[0] for q in val if not q["relevant"]} & {
        q["query"].split(" way")[0] for q in test if not q["relevant"]}


def test_convert_stackfaq_is_deterministic(tmp_path: Path) -> None:
    src = stackfaq(tmp_path, 20)
    assert convert_stackfaq(src, tmp_path / "a") == convert_stackfaq(src, tmp_path / "b")
    assert (tmp_path / "a" / "queries-test.jsonl").read_text() == (tmp_path / "b" / "queries-test.jsonl").read_text()
