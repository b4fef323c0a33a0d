"""Benchmark: one customer turn through the whole loop (record, NLU, Rasa, action, KB) against a running product.

    .venv/bin/python -m bench.turn_latency --base http://127.0.0.1:8000 -n 60
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx

from core.machine import machine

QUESTIONS = ["my internet is down", "how do I reset my password", "why is my bill so high", "hello",
             "tv box says no signal", "can I take my broadband when I move"]


def measure(base: str, n: int) -> list[float]:
    """Return n customer-turn round trips in milliseconds, each in a fresh conversation."""
    times: list[float] = []
    with httpx.Client(base_url=base, timeout=30) as c:
        for i in range(n):
            start = c.post("/api/conversations", json={}).json()
            auth = {"X-Conversation-Token": start["token"]}
            t0 = time.perf_counter()
            r = c.post(f"/api/conversations/{start['conversation_id']}/messages",
                       json={"text": QUESTIONS[i % len(QUESTIONS)]}, headers=auth)
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 201, r.text
    return times


def report(times: list[float]) -> None:
    q = statistics.quantiles(times, n=20, method="inclusive")
    print(f"machine: {machine()}")
    print(f"customer message → bot reply (HTTP round trip), n={len(times)}: p50 {statistics.median(times):.0f} ms, "
          f"p95 {q[18]:.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8000")
    ap.add_argument("-n", type=int, default=60)
    args = ap.parse_args()
    report(measure(args.base, args.n))


if __name__ == "__main__":
    main()
