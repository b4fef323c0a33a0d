"""Held-out figures of the dissatisfaction estimate and the handoff policy on the labelled dialogues.

Run: .venv/bin/python -m bench.escalation.dissatisfaction
The model trains on the 'train' dialogues of data/dissatisfaction/dialogues.jsonl (as the product
does); this replays only the 'test' ones through `firstline escalation evaluate`, and scores two
anchors on the same turns: the rule trigger alone (sentiment <= -0.6 or frustration >= 0.75) and
plain VADER (compound <= -0.05). Writes bench/results/escalation-dissatisfaction-test.json.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "dissatisfaction" / "dialogues.jsonl"
OUT = ROOT / "bench" / "results" / "escalation-dissatisfaction-test.json"


def main() -> int:
    from bot.nlu import NLUService
    from bot.nlu.sentiment import VaderSentiment
    from bot.replay import cmd_evaluate, scores
    from core.embedding import get_embedder
    from core.settings import get_settings
    from web.startup import NLU_DATA

    test = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    test = [d for d in test if d.get("split") == "test"]
    path = get_settings().data_dir / "bench" / "dissatisfaction-test.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(d) + "\n" for d in test))
    import argparse

    cmd_evaluate(argparse.Namespace(dialogues=path, json=OUT))
    model_dir = get_settings().model_dir
    assert model_dir is not None
    nlu = NLUService.load_or_train(NLU_DATA, model_dir / "nlu", embedder=get_embedder())
    turns = [t for d in test for t in d["turns"] if t["role"] == "user" and t.get("label") in (0, 1)]
    sent = [nlu.parse(t["text"])["sentiment"] for t in turns]
    plain = VaderSentiment(support_lexicon=False)  # the anchor is VADER as published
    vader = [plain.analyze(t["text"])["vader"] for t in turns]
    y = [int(t["label"]) for t in turns]
    result = json.loads(OUT.read_text())
    result["anchors"] = {
        "rule_trigger": scores(y, [int(s["compound"] <= -0.6 or s["frustration"] >= 0.75) for s in sent]),
        "vader": scores(y, [int(v <= -0.05) for v in vader]),
    }
    OUT.write_text(json.dumps(result, indent=2))
    for name, m in result["anchors"].items():
        print(f"anchor {name:14} precision {m['precision']:.3f} recall {m['recall']:.3f} f1 {m['f1']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
