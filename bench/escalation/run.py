"""Benchmark: handoff precision and recall on labelled conversations, through the running product.

Each conversation in conversations.yml is sent message by message to the customer API (real NLU,
real Rasa, real knowledge base, the real escalation policy). A conversation counts as handed off
when the bot gives it to a person (status queued or open); the trigger comes from the handoffs
table. Precision and recall are over the `handoff` label; per group, the share handed off.

    .venv/bin/python -m bench.escalation.run --base http://127.0.0.1:8000 --db sqlite:///var/firstline.db
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx
import yaml

from core.machine import machine

SET = Path(__file__).with_name("conversations.yml")
HUMAN_OWNED = {"queued", "open"}


def run_one(client: httpx.Client, messages: list[str]) -> tuple[str, int | None]:
    """Send messages until the conversation is handed off; return (conversation id, 1-based turn or None)."""
    start = client.post("/api/conversations", json={})
    start.raise_for_status()
    cid, auth = start.json()["conversation_id"], {"X-Conversation-Token": start.json()["token"]}
    for turn, text in enumerate(messages, 1):
        r = client.post(f"/api/conversations/{cid}/messages", json={"text": text}, headers=auth)
        r.raise_for_status()
        if r.json()["status"] in HUMAN_OWNED:
            return cid, turn
    return cid, None


def triggers(db_url: str | None, ids: list[str]) -> dict[str, str]:
    """Return {conversation id: trigger} from the product's database (empty without a URL)."""
    if not db_url:
        return {}
    from sqlalchemy import create_engine, text

    with create_engine(db_url).connect() as conn:
        rows = conn.execute(text("SELECT conversation_id, trigger FROM handoffs ORDER BY id")).all()
    wanted = set(ids)
    out: dict[str, str] = {}
    for cid, trig in rows:
        if cid in wanted:
            out.setdefault(cid, trig)
    return out


def group_figures(rs: list[dict[str, Any]]) -> dict[str, Any]:
    turns = [r["turn"] for r in rs if r["turn"]]
    return {"n": len(rs), "handed_off": len(turns), "mean_turn": round(sum(turns) / max(1, len(turns)), 2),
            "triggers": dict(Counter(r["trigger"] for r in rs if r["trigger"]))}


def measure(base: str, db_url: str | None = None) -> dict[str, Any]:
    """Run the labelled set against base; return precision, recall and per-group figures."""
    convs = yaml.safe_load(SET.read_text())["conversations"]
    results = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for c in convs:
            cid, turn = run_one(client, c["messages"])
            results.append({"id": cid, "group": c["group"], "label": c["label"], "turn": turn,
                            "first": c["messages"][0]})
    trig = triggers(db_url, [r["id"] for r in results])
    for r in results:
        r["trigger"] = trig.get(r["id"])
    tp = sum(r["label"] == "handoff" and bool(r["turn"]) for r in results)
    fp = sum(r["label"] == "bot" and bool(r["turn"]) for r in results)
    fn = sum(r["label"] == "handoff" and not r["turn"] for r in results)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        groups[r["group"]].append(r)
    return {
        "n": len(results),
        "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
        "recall": round(tp / (tp + fn), 3) if tp + fn else 0.0,
        "groups": {g: group_figures(rs) for g, rs in groups.items()},
        "misses": [f"{r['group']}: {r['first']!r}" for r in results if (r["label"] == "handoff") != bool(r["turn"])],
    }


def print_report(report: dict[str, Any]) -> None:
    print(f"machine: {machine()}")
    print(f"handoff on {report['n']} labelled conversations: precision {report['precision']:.3f}, "
          f"recall {report['recall']:.3f}")
    for g, f in report["groups"].items():
        print(f"  {g:13} {f['handed_off']:>2}/{f['n']:<2} handed off (mean turn {f['mean_turn']}) {f['triggers']}")
    for m in report["misses"]:
        print(f"  wrong: {m}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="http://127.0.0.1:8000")
    ap.add_argument("--db", help="the product's DATABASE_URL, to read each handoff's trigger")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    report = measure(args.base, args.db)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
