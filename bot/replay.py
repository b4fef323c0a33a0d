"""`firstline escalation evaluate`: replay labelled dialogues through the product's own parse and
escalation policy, and score "would hand off" and the dissatisfaction estimate against the labels.

One dialogue per line: {"id": "...", "turns": [{"role": "user"|"bot", "text": "...", "label": 0|1}]}
(label on user turns, 1 = dissatisfied, optional; a bot turn may carry "kind", else a miss is read
from its text). Bot turns are taken as the bot's replies. Every text is parsed and embedded in
batches, so 10,000 dialogues run in minutes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

TRIGGER_NAMES = ("asked_for_human", "sensitive_intent", "negative_sentiment", "sentiment_drop", "not_helpful_twice",
                 "repeated_fallback", "rephrase_loop", "out_of_scope_twice", "low_confidence", "customer_rule")


class CachedEmbedder:
    """An embedder answering from vectors computed in one batch; anything else is encoded on demand."""

    def __init__(self, inner: Any, texts: Sequence[str], batch_size: int = 256) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        unique = list(dict.fromkeys(texts))
        vecs = [inner.encode(unique[i:i + batch_size]) for i in range(0, len(unique), batch_size)]
        self.rows = dict(zip(unique, np.vstack(vecs) if vecs else np.zeros((0, inner.dim)), strict=True))

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.rows]
        if missing:
            self.rows.update(zip(missing, self.inner.encode(missing), strict=True))
        return np.stack([self.rows[t] for t in texts]) if texts else np.zeros((0, self.dim), dtype=np.float32)


def bot_kind(turn: dict[str, Any]) -> str:
    from escalation.dissatisfaction import MISS_TEXT

    if turn.get("kind"):
        return str(turn["kind"])
    return "fallback" if MISS_TEXT.search(turn["text"]) else "reply"


def scores(y: list[int], pred: list[int]) -> dict[str, Any]:
    tp = sum(1 for a, b in zip(y, pred, strict=True) if a == 1 and b == 1)
    fp = sum(1 for a, b in zip(y, pred, strict=True) if a == 0 and b == 1)
    fn = sum(1 for a, b in zip(y, pred, strict=True) if a == 1 and b == 0)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "tp": tp, "fp": fp, "fn": fn, "n": len(y)}


def replay(dialogues: list[dict[str, Any]], nlu: Any, embedder: Any, model: Any,
           settings: Any = None) -> dict[str, Any]:
    """Replay every dialogue's user turns in order; return per-turn decisions, figures and trigger counts."""
    from escalation import EscalationSettings, Turn, assess
    from escalation import triggers as t
    from escalation.dissatisfaction import estimate
    from escalation.turns import turn_from_parse

    s = settings or EscalationSettings()
    t0 = time.perf_counter()
    user_texts = [u["text"] for d in dialogues for u in d["turns"] if u["role"] == "user"]
    parses = iter(nlu.parse_many(user_texts))
    parse_seconds = time.perf_counter() - t0
    cached = CachedEmbedder(embedder, user_texts)
    embed_seconds = time.perf_counter() - t0 - parse_seconds
    first: Counter[str] = Counter()
    fires: dict[str, Counter[str]] = {name: Counter() for name in TRIGGER_NAMES}
    gold_h, pred_h, gold_d, pred_d, probs = [], [], [], [], []
    for d in dialogues:
        history: list[Turn] = []
        turns = d["turns"]
        for i, u in enumerate(turns):
            if u["role"] != "user":
                continue
            replies = []
            for b in turns[i + 1:]:
                if b["role"] == "user":
                    break
                replies.append(b)
            parse = next(parses)
            before = turn_from_parse(u["text"], parse)
            # The product always replies; a user turn the file leaves unanswered (often the last) is
            # judged after a plain reply, so the after-reply triggers see it too.
            after = turn_from_parse(u["text"], parse, [bot_kind(b) for b in replies] or ["reply"],
                                    bot_reply="\n".join(b["text"] for b in replies))
            decision = assess(history, before, settings=s, embedder=cached, dissatisfaction=model)
            if not decision.handoff:
                decision = assess(history, after, settings=s, embedder=cached, dissatisfaction=model)
            label = u.get("label")
            if decision.handoff and decision.trigger:
                first[decision.trigger] += 1
            # Every trigger on its own, before and after the reply: its firing rate on calm turns is its
            # false-positive rate.
            for name, fired in _each_trigger(history, before, after, s, cached, model, t):
                if fired:
                    fires[name]["label_1" if label == 1 else "label_0" if label == 0 else "unlabelled"] += 1
            e = estimate(history, after, model, cached) if model is not None else None
            if label in (0, 1):
                gold_h.append(int(label))
                pred_h.append(int(decision.handoff))
                if e is not None:
                    gold_d.append(int(label))
                    pred_d.append(int(e.dissatisfied))
                    probs.append(e.probability)
            history.append(after)
    labelled = len(gold_h)
    calm = labelled - sum(gold_h)
    return {
        "dialogues": len(dialogues),
        "user_turns": len(user_texts),
        "labelled_turns": labelled,
        "dissatisfied_turns": sum(gold_h),
        "would_hand_off": scores(gold_h, pred_h),
        "dissatisfaction": {**scores(gold_d, pred_d), "threshold": getattr(model, "threshold", None)}
        if model is not None else None,
        "first_trigger": dict(first.most_common()),
        "trigger_fires": {name: dict(c) for name, c in fires.items()},
        "trigger_false_positive_rate": {name: round(c.get("label_0", 0) / calm, 4) if calm else None
                                        for name, c in fires.items()},
        "seconds": {"parse": round(parse_seconds, 2), "embed": round(embed_seconds, 2),
                    "total": round(time.perf_counter() - t0, 2)},
    }


def _each_trigger(history: list[Any], before: Any, after: Any, s: Any, emb: Any, model: Any,
                  t: Any) -> list[tuple[str, bool]]:
    from escalation import CustomerFacts

    out: Counter[str] = Counter()
    for cur in (before, after):
        if cur is None:
            continue
        for decision in (t.asked_for_human(cur, s), t.sensitive(cur, s), t.upset(history, cur, s),
                         t.dissatisfied(history, cur, model, emb), t.not_helpful(history, cur),
                         t.repeated_fallback(history, cur), t.rephrase_loop(history, cur, s, emb),
                         t.out_of_scope_twice(history, cur), t.low_confidence(history, cur, s),
                         t.customer_rule(cur, CustomerFacts(), s)):
            if decision is not None and decision.trigger:
                out[decision.trigger] = 1
    return [(name, bool(out[name])) for name in TRIGGER_NAMES]


def format_report(r: dict[str, Any]) -> str:
    lines = [f"dialogues {r['dialogues']}, user turns {r['user_turns']}, labelled {r['labelled_turns']} "
             f"({r['dissatisfied_turns']} dissatisfied)", "",
             f"{'':18}{'precision':>10}{'recall':>8}{'f1':>8}{'tp':>6}{'fp':>6}{'fn':>6}"]
    rows = [("would hand off", r["would_hand_off"])]
    if r["dissatisfaction"] is not None:
        rows.append((f"dissatisfied@{r['dissatisfaction']['threshold']}", r["dissatisfaction"]))
    for name, m in rows:
        lines.append(f"{name:18}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}{m['tp']:>6}{m['fp']:>6}"
                     f"{m['fn']:>6}")
    lines += ["", f"{'trigger':20}{'decides':>8}{'fires: label 0':>16}{'label 1':>9}{'FP rate':>9}"]
    for name in TRIGGER_NAMES:
        c = r["trigger_fires"][name]
        fp = r["trigger_false_positive_rate"][name]
        lines.append(f"{name:20}{r['first_trigger'].get(name, 0):>8}{c.get('label_0', 0):>16}{c.get('label_1', 0):>9}"
                     f"{'' if fp is None else f'{fp:.3f}':>9}")
    sec = r["seconds"]
    lines += ["", f"time: parse {sec['parse']} s, embed {sec['embed']} s, total {sec['total']} s"]
    return "\n".join(lines)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from bot.escalation_gate import DISSATISFACTION_DATA
    from bot.nlu import NLUService
    from core.embedding import get_embedder
    from core.machine import machine
    from core.settings import get_settings
    from escalation.dissatisfaction import load_dialogues, load_or_train
    from web.startup import NLU_DATA

    if not args.dialogues.exists():
        print(f"error: {args.dialogues} does not exist", file=sys.stderr)
        return 2
    try:
        dialogues = load_dialogues(args.dialogues)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    model_dir = get_settings().model_dir
    assert model_dir is not None
    embedder = get_embedder()
    nlu = NLUService.load_or_train(NLU_DATA, model_dir / "nlu", embedder=embedder)
    model = load_or_train(DISSATISFACTION_DATA, model_dir / "dissatisfaction", nlu.parse, embedder)
    result = replay(dialogues, nlu, embedder, model)
    result["machine"] = machine()
    print(format_report(result))
    print(f"machine: {result['machine']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add the `escalation` command group (evaluate) to a parser's subcommands."""
    group = subparsers.add_parser("escalation", help="handoff policy").add_subparsers(dest="escalation_command",
                                                                                       required=True)
    p = group.add_parser("evaluate", help="replay labelled dialogues (JSONL) through parse and policy")
    p.add_argument("--dialogues", type=Path, required=True, help="one dialogue per line (see README)")
    p.add_argument("--json", type=Path, help="also write the figures here")
    p.set_defaults(func=cmd_evaluate)
