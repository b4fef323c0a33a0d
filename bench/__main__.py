"""`make bench`: start the real product once and run the product benchmarks, then the offline ones.

Prints every figure with the machine. The long runs are separate commands (README, Benchmarks):
the NLU benchmark with Rasa's DIET beside it, the StackFAQ and 100,000-passage knowledge-base runs.

    .venv/bin/python -m bench [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from bench import console_latency, turn_latency
from bench.escalation import run as escalation
from bench.sentiment import run as sentiment
from firstline import launch

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
            escalation.print_report(escalation.measure(product.base, product.db_url()))
            turn_latency.report(turn_latency.measure(product.base, n))
            password = product.credentials()["maria"]
            console_latency.report(asyncio.run(console_latency.run(product.base, "maria", password, n // 2)))
        finally:
            product.stop()


if __name__ == "__main__":
    main()
