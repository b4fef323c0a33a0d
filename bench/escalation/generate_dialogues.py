"""Write N dialogues in the `firstline escalation evaluate` format, for timing it at scale.

Run: .venv/bin/python -m bench.escalation.generate_dialogues 10000 var/bench/dialogues-10k.jsonl
Each is one of the labelled dialogues with its customer turns varied (casing, punctuation, a filler
word), so most texts are distinct and the embedding cache cannot skip the work.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "data" / "dissatisfaction" / "dialogues.jsonl"
FILLERS = ["", "", "please", "hi", "ok", "um", "so", "honestly", "right", "hello", "thanks"]


def vary(text: str, rng: random.Random) -> str:
    text = f"{rng.choice(FILLERS)} {text}".strip() if rng.random() < 0.5 else text
    if rng.random() < 0.15:
        text = text.upper()
    if rng.random() < 0.3:
        text = text.rstrip(".!?") + rng.choice(["", ".", "?", "!", "!!", " :("])
    return f"{text} #{rng.randrange(1000)}" if rng.random() < 0.5 else text


def main(argv: list[str]) -> int:
    n, out = int(argv[0]), Path(argv[1])
    rng = random.Random(13)
    base = [json.loads(line) for line in SOURCE.read_text().splitlines() if line.strip()]
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w") as f:
        for i in range(n):
            d = rng.choice(base)
            turns = [{**t, "text": vary(t["text"], rng)} if t["role"] == "user" else t for t in d["turns"]]
            f.write(json.dumps({"id": f"gen-{i}", "turns": turns}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
