"""Write k-examples-per-intent training subsets of a Rasa NLU YAML file (small tenants, issue 13).

Run: .venv/bin/python -m bench.nlu.subsets TRAIN.yml OUT_DIR 5 10 20
Writes OUT_DIR/k<k>/train.yml, sampled with a fixed seed; each smaller subset is part of the larger.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    from bot.nlu import training_data
    from bot.nlu.convert import to_yaml

    data = training_data.load(Path(argv[0]))
    by_intent: dict[str, list[str]] = {}
    for e in data.examples:
        by_intent.setdefault(e.intent, []).append(e.text)
    rng = random.Random(13)
    for texts in by_intent.values():
        rng.shuffle(texts)
    for k in map(int, argv[2:]):
        out = Path(argv[1]) / f"k{k}"
        out.mkdir(parents=True, exist_ok=True)
        pairs = [(t, intent) for intent, texts in sorted(by_intent.items()) for t in texts[:k]]
        (out / "train.yml").write_text(to_yaml(pairs))
        print(f"k={k}: {len(pairs)} examples, {len(by_intent)} intents -> {out / 'train.yml'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
