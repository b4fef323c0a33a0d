"""Convert the benchmark data sets (CLINC150 JSON, BANKING77 CSV) to Rasa NLU YAML splits."""

from __future__ import annotations

import csv
import json
import random
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from bot.nlu.intent_model import OOS_INTENT

# Brackets and parentheses would read as entity annotations in Rasa's format.
UNSAFE = re.compile(r"[\[\](){}]")


def to_yaml(pairs: Iterable[tuple[str, str]]) -> str:
    """Return Rasa NLU YAML for (text, intent) pairs, grouped by intent."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in pairs:
        clean = " ".join(UNSAFE.sub(" ", text).split())
        if clean:
            by_intent[intent].append(clean)
    lines = ['version: "3.1"', "nlu:"]
    for intent in sorted(by_intent):
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines.extend(f"    - {t}" for t in by_intent[intent])
    return "\n".join(lines) + "\n"


def clinc150(src: Path, out: Path) -> dict[str, int]:
    """Write train/val/test YAML from data_full.json; oos_* become the out_of_scope intent."""
    data = json.loads(src.read_text())
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for split in ("train", "val", "test"):
        pairs = [(t, i) for t, i in data[split]] + [(t, OOS_INTENT) for t, _ in data[f"oos_{split}"]]
        (out / f"{split}.yml").write_text(to_yaml(pairs))
        counts[split] = len(pairs)
    return counts


def banking77(folder: Path, out: Path, val_share: float = 0.1, seed: int = 7) -> dict[str, int]:
    """Write train/val/test YAML; val is carved from train (stratified), test is the official test."""
    def read(name: str) -> list[tuple[str, str]]:
        with (folder / name).open(newline="", encoding="utf-8") as f:
            return [(row["text"], row["category"]) for row in csv.DictReader(f)]

    train = read("train.csv")
    by: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for pair in train:
        by[pair[1]].append(pair)
    rng = random.Random(seed)
    tr, val = [], []
    for intent in sorted(by):
        items = by[intent][:]
        rng.shuffle(items)
        n_val = max(1, round(len(items) * val_share))
        val += items[:n_val]
        tr += items[n_val:]
    out.mkdir(parents=True, exist_ok=True)
    test = read("test.csv")
    for name, pairs in (("train", tr), ("val", val), ("test", test)):
        (out / f"{name}.yml").write_text(to_yaml(pairs))
    return {"train": len(tr), "val": len(val), "test": len(test)}
