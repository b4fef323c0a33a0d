"""`make bench`: start the real product once and run the product benchmarks, then the offline ones.

Prints every figure with the machine. The long runs are separate commands (README, Benchmarks):
the NLU benchmark with Rasa's DIET beside it, the StackFAQ and 100,000-passage knowledge-base runs.

    .venv/bin/python -m bench [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import tempfile
from pathlib import Path

from bench import console_latency, turn_latency
from bench.escalation import run as escalation
from bench.sentiment import run as sentiment
from core.machine import machine
from firstline import launch

HANDOFF_RESULTS = Path(__file__).parent / "results" / "escalation-handoff.json"
KEPT_TRANSCRIPTS = Path(__file__).parents[1] / "var" / "bench" / "handoff-transcripts.jsonl"  # git-ignored

# Every simulated customer comes from 127.0.0.1 and types faster than a person: the benchmarks measure
# speed, so they lift the rate limits that would refuse them (tests keep the defaults).
NO_RATE_LIMITS = {f"FIRSTLINE_WEB_RATE_{name}": "1000000/minute"
                  for name in ("LOGIN_PER_IP", "START_PER_IP", "MESSAGE_PER_IP", "MESSAGE_PER_CONVERSATION")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    args = ap.parse_args()
    n = 10 if args.quick else 60
    sentiment.main()
    print(flush=True)
    with tempfile.TemporaryDirectory(prefix="firstline-bench-") as tmp:
        print("starting the product (firstline run) …", flush=True)
        product = launch.start(Path(tmp), secret="bench-secret", env=NO_RATE_LIMITS)
        try:
            transcripts = Path(tmp) / "handoff-transcripts.jsonl"
            load_before = os.getloadavg()
            handoff = escalation.measure(product.base, product.db_url(), transcripts)
            handoff["load_average"] = {"before": [round(x, 2) for x in load_before],
                                       "after": [round(x, 2) for x in os.getloadavg()]}
            escalation.print_report(handoff)
            print(f"load average (1, 5, 15 min): before {handoff['load_average']['before']}, "
                  f"after {handoff['load_average']['after']}")
            turn_latency.report(turn_latency.measure(product.base, n))
            password = product.credentials()["maria"]
            console_latency.report(asyncio.run(console_latency.run(product.base, "maria", password, n // 2)))
        finally:
            product.stop()
        # Every trigger on its own over the same conversations, once the product has stopped (its CPU free).
        handoff["each_trigger"] = escalation.replay_triggers(transcripts)
        escalation.print_replay(handoff["each_trigger"])
        handoff["machine"] = machine()
        KEPT_TRANSCRIPTS.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(transcripts, KEPT_TRANSCRIPTS)
        HANDOFF_RESULTS.write_text(json.dumps(handoff, indent=2))


if __name__ == "__main__":
    main()
