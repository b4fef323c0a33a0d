"""Convert the StackFAQ data set into the evaluation layout: Markdown articles plus JSONL query splits.

One article per thread (its question as title, each answer a section), not one per QA pair: the
pairs of a thread share the same question, and the user rephrasings were written against the
question, so per-pair relevance would be arbitrary; a thread is also what our articles are (one
topic, several sections). Threads are split deterministically: 15% are left out of the corpus and
their rephrasings become "no answer" queries; the remaining rephrasings are split per thread into
validation (tuning fusion, calibration, thresholds) and test (reported once).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import yaml

TAG_LIKE = re.compile(r"<[^<>\n]{1,80}>")


def _bucket(key: str) -> float:
    """Return a stable pseudo-random number in [0, 1) for key."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64


def _slug(text: str, n: int) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())[:8]
    return f"sf{n:03d}-" + "-".join(words)[:60].strip("-")


def _markdown_safe(text: str) -> str:
    # Answers quote HTML tags as text ("use <del>"); as code spans they stay readable and are not raw HTML.
    text = TAG_LIKE.sub(lambda m: "`" + m.group(0).replace("`", "") + "`", text)
    return re.sub(r"^(\s*)([#>=-])", r"\1\\\2", text, flags=re.M)  # no accidental headings or quotes


def convert_stackfaq(src: Path, out: Path, *, absent_fraction: float = 0.15, val_fraction: float = 0.4) -> dict:
    """Write out/articles/*.md, out/queries-val.jsonl and out/queries-test.jsonl; return counts."""
    threads = json.loads(src.read_text(encoding="utf-8"))["root"]["qapair"]
    (out / "articles").mkdir(parents=True, exist_ok=True)
    splits: dict[str, list[dict]] = {"val": [], "test": []}
    n_articles = 0
    for n, t in enumerate(threads):
        question = " ".join(TAG_LIKE.sub("", t["question"]).split())[:200]
        aid = _slug(question, n)
        answers = [a.strip() for a in t.get("answer") or [] if a and a.strip()]
        queries = [r.strip() for r in t.get("rephr") or [] if r and r.strip() not in ("", "*")]
        absent = _bucket(f"absent:{aid}") < absent_fraction
        if not absent and answers:
            body = "\n\n".join(f"## Answer {i + 1}\n\n{_markdown_safe(a)}" for i, a in enumerate(answers))
            front = {"id": aid, "title": question, "tags": ["stackfaq"], "audience": "all", "status": "published"}
            (out / "articles" / f"{aid}.md").write_text(
                "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n\n" + body + "\n", encoding="utf-8"
            )
            n_articles += 1
        for i, q in enumerate(queries):
            # Absent threads go to one split whole, so a no-answer topic is never tuned and tested on.
            split_key = f"split:{aid}" if absent else f"split:{aid}:{i}"
            split = "val" if _bucket(split_key) < val_fraction else "test"
            splits[split].append({"query": q, "relevant": [] if absent or not answers else [aid]})
    counts = {"articles": n_articles}
    for name, rows in splits.items():
        (out / f"queries-{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        counts[f"queries_{name}"] = len(rows)
        counts[f"no_answer_{name}"] = sum(1 for r in rows if not r["relevant"])
    return counts
