"""Parse latency and model load time of the product's NLU (the demo model), one message at a time.

    .venv/bin/python -m bench.nlu.parse_latency [-n 500]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from core.machine import machine

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = ["my internet is down again", "how do I reset my password", "why is my bill so high this month",
            "I want to talk to a real person", "can I move my broadband to my new flat", "the tv box says no signal",
            "what's the weather on mars", "THIS IS THE THIRD TIME I'M ASKING", "cancel my contract please",
            "is there an outage in SW1A 1AA?", "my case number is CS-10423", "hi"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=500)
    args = ap.parse_args()
    from bot.nlu import NLUService
    from core.embedding import get_embedder
    from core.settings import get_settings

    model_dir = get_settings().model_dir
    assert model_dir is not None
    if not (model_dir / "nlu").exists():
        raise SystemExit("no trained NLU model yet: run `firstline train` first (this measures loading, not training)")
    t0 = time.perf_counter()
    embedder = get_embedder("bundled")
    embedder.encode(["warm up"])
    t1 = time.perf_counter()
    svc = NLUService.load_or_train(ROOT / "data" / "nlu", model_dir / "nlu", embedder=embedder)
    t2 = time.perf_counter()
    svc.parse_uncached("warm up")
    times = []
    for i in range(args.n):
        text = f"{MESSAGES[i % len(MESSAGES)]} {i}"  # distinct texts: no cache hits
        t = time.perf_counter()
        svc.parse_uncached(text)
        times.append((time.perf_counter() - t) * 1000)
    q = statistics.quantiles(times, n=20, method="inclusive")
    print(f"machine: {machine()}")
    print(f"demo NLU ({len(svc.intents)} intents): cold load {t2 - t0:.2f} s (embedding model {t1 - t0:.2f} s, "
          f"intent model {t2 - t1:.2f} s), "
          f"parse n={len(times)} p50 {statistics.median(times):.1f} ms, p95 {q[18]:.1f} ms")


if __name__ == "__main__":
    main()
