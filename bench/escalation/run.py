"""Benchmark: handoff precision and recall on labelled conversations, through the running product.

Each conversation in conversations.yml is sent message by message to the customer API (real NLU,
real Rasa, real knowledge base, the real escalation policy). A conversation counts as handed off
when the bot gives it to a person (status queued or open); the trigger comes from the handoffs
table. Precision and recall are over the `handoff` label; per group, the share handed off.

False positives per trigger (issue 13), two ways, on the conversations labelled `bot`:
- live: the share of them that each trigger handed off (the first trigger that fires decides);
- each trigger on its own: the transcripts, with the product's real replies, are replayed through
  the product's parse and policy (`firstline escalation evaluate`), every customer turn of a `bot`
  conversation counting as calm; a trigger's false-positive rate is the share of calm turns it fires on.

    .venv/bin/python -m bench.escalation.run --base http://127.0.0.1:8000 --db sqlite:///var/firstline.db \
        [--transcripts var/bench/handoff-transcripts.jsonl] [--json OUT]
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


# What counts as the bot's reply to a customer turn, as the policy reads stored messages
# (escalation.turns.turns_from_messages): the bot's own messages, and the system's "not understood" ones.
NOT_UNDERSTOOD = {"fallback", "no_answer", "clarify", "dialogue_down"}
NOT_ANSWERS = {"surge_notice"}


def bot_turns(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the bot's replies among a turn's new messages, as `escalation evaluate` bot turns."""
    out = []
    for m in messages:
        kind = m.get("kind") or (m.get("meta") or {}).get("kind")
        if (m["sender"] == "bot" and kind not in NOT_ANSWERS) or (m["sender"] == "system" and kind in NOT_UNDERSTOOD):
            out.append({"role": "bot", "text": m["text"], "kind": kind or "reply"})
    return out


def run_one(client: httpx.Client, messages: list[str],
            transcript: list[dict[str, Any]] | None = None) -> tuple[str, int | None]:
    """Send messages until the conversation is handed off; return (conversation id, 1-based turn or None).

    transcript, if given, receives each customer turn and the bot's replies to it.
    """
    start = client.post("/api/conversations", json={})
    start.raise_for_status()
    cid, auth = start.json()["conversation_id"], {"X-Conversation-Token": start.json()["token"]}
    for turn, text in enumerate(messages, 1):
        r = client.post(f"/api/conversations/{cid}/messages", json={"text": text}, headers=auth)
        r.raise_for_status()
        if transcript is not None:
            transcript.append({"role": "user", "text": text})
            transcript.extend(bot_turns([m for m in r.json()["messages"] if m["sender"] != "customer"]))
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


def measure(base: str, db_url: str | None = None, transcripts: Path | None = None) -> dict[str, Any]:
    """Run the labelled set against base; return precision, recall, per-group and per-trigger figures.

    transcripts, if given, receives every conversation as one `escalation evaluate` dialogue (customer
    turns of a `bot` conversation labelled 0 = calm, of a `handoff` one unlabelled).
    """
    convs = yaml.safe_load(SET.read_text())["conversations"]
    results = []
    dialogues = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for c in convs:
            turns: list[dict[str, Any]] = []
            cid, turn = run_one(client, c["messages"], turns)
            if c["label"] == "bot":
                for t in turns:
                    if t["role"] == "user":
                        t["label"] = 0
            dialogues.append({"id": cid, "group": c["group"], "turns": turns})
            results.append({"id": cid, "group": c["group"], "label": c["label"], "turn": turn,
                            "first": c["messages"][0]})
    if transcripts is not None:
        transcripts.parent.mkdir(parents=True, exist_ok=True)
        transcripts.write_text("".join(json.dumps(d) + "\n" for d in dialogues))
    trig = triggers(db_url, [r["id"] for r in results])
    for r in results:
        r["trigger"] = trig.get(r["id"])
    calm = [r for r in results if r["label"] == "bot"]
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
        "no_handoff_conversations": len(calm),
        "false_handoffs_by_trigger": dict(Counter(r["trigger"] or "unknown" for r in calm if r["turn"])),
        "misses": [f"{r['group']}: {r['first']!r}" for r in results if (r["label"] == "handoff") != bool(r["turn"])],
    }


def print_report(report: dict[str, Any]) -> None:
    print(f"machine: {machine()}")
    print(f"handoff on {report['n']} labelled conversations: precision {report['precision']:.3f}, "
          f"recall {report['recall']:.3f}")
    for g, f in report["groups"].items():
        print(f"  {g:13} {f['handed_off']:>2}/{f['n']:<2} handed off (mean turn {f['mean_turn']}) {f['triggers']}")
    n = report["no_handoff_conversations"]
    print(f"false handoffs on {n} conversations where none is wanted, by the trigger that decided:")
    for name, k in sorted(report["false_handoffs_by_trigger"].items(), key=lambda kv: -kv[1]):
        print(f"  {name:20} {k:>3}  ({k / n:.3f} of them)")
    for m in report["misses"]:
        print(f"  wrong: {m}")


def replay_triggers(transcripts: Path) -> dict[str, Any]:
    """Replay the live transcripts through the product's parse and policy; return each trigger's firing.

    Runs in this process with the models the product trained (the shared model cache). Every customer
    turn of a `bot` conversation is calm (label 0): a trigger's false-positive rate is the share of
    those turns it fires on, on its own, before or after the bot's real reply.
    """
    from bot.escalation_gate import DISSATISFACTION_DATA
    from bot.nlu import NLUService
    from bot.replay import replay
    from core.embedding import get_embedder
    from core.settings import get_settings
    from escalation.dissatisfaction import load_dialogues, load_or_train
    from web.startup import NLU_DATA

    model_dir = get_settings().model_dir
    assert model_dir is not None
    embedder = get_embedder()
    nlu = NLUService.load_or_train(NLU_DATA, model_dir / "nlu", embedder=embedder)
    model = load_or_train(DISSATISFACTION_DATA, model_dir / "dissatisfaction", nlu.parse, embedder)
    return replay(load_dialogues(transcripts), nlu, embedder, model)


def print_replay(r: dict[str, Any]) -> None:
    calm = r["labelled_turns"] - r["dissatisfied_turns"]
    print(f"each trigger on its own, replayed on the {calm} customer turns of the no-handoff conversations:")
    for name, rate in r["trigger_false_positive_rate"].items():
        print(f"  {name:20} fires on {r['trigger_fires'][name].get('label_0', 0):>3} calm turns  "
              f"FP rate {0.0 if rate is None else rate:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="http://127.0.0.1:8000")
    ap.add_argument("--db", help="the product's DATABASE_URL, to read each handoff's trigger")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--transcripts", type=Path, help="write the conversations here and replay every trigger on them")
    args = ap.parse_args()
    report = measure(args.base, args.db, args.transcripts)
    print_report(report)
    if args.transcripts:
        report["each_trigger"] = replay_triggers(args.transcripts)
        print_replay(report["each_trigger"])
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
