"""Benchmark: a visitor claims an email -> the verification code is delivered by SMTP (issue 10).

Starts the product (`firstline run`) with a real aiosmtpd server on loopback, then claims demo customers'
emails in fresh conversations and times, per claim: the chat turn (HTTP round trip) and claim -> message
accepted by the SMTP server.

    .venv/bin/python -m bench.identity_code_delivery -n 30
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from core.machine import machine

EMAILS = ["ana.silva@example.com", "mei.chen@example.com", "sam.patel@example.com", "d.reeves@harbourlogistics.example"]


def measure(base: str, sink: object, n: int) -> tuple[list[float], list[float]]:
    """Return (turn ms, claim -> delivered ms) for n claims, each in a fresh conversation."""
    turns, delivered = [], []
    with httpx.Client(base_url=base, timeout=30) as c:
        for i in range(n + 1):
            to = EMAILS[i % len(EMAILS)]
            start = c.post("/api/conversations", json={}).json()
            auth = {"X-Conversation-Token": start["token"]}
            before = len(sink.messages)  # type: ignore[attr-defined]
            t0 = time.monotonic()
            r = c.post(f"/api/conversations/{start['conversation_id']}/messages",
                       json={"text": f"hi, my email is {to}"}, headers=auth)
            t1 = time.monotonic()
            assert r.status_code == 201, r.text
            msg = sink.wait_for(before + 1, timeout=30)[before]  # type: ignore[attr-defined]
            assert msg.rcpt_tos == [to], msg.rcpt_tos
            if i == 0:
                continue  # the first turn after start warms the models
            turns.append((t1 - t0) * 1000)
            delivered.append((msg.at - t0) * 1000)
    return turns, delivered


def report(turns: list[float], delivered: list[float]) -> None:
    def line(name: str, xs: list[float]) -> str:
        q = statistics.quantiles(xs, n=20, method="inclusive")
        return f"{name}, n={len(xs)}: p50 {statistics.median(xs):.0f} ms, p95 {q[18]:.0f} ms, max {max(xs):.0f} ms"

    print(f"machine: {machine()}")
    print(line("claim turn (HTTP round trip)", turns))
    print(line("claim -> code accepted by the SMTP server", delivered))


def main() -> None:
    from firstline import launch
    from tests.outbound.servers import smtp_sink

    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=30)
    args = ap.parse_args()
    with smtp_sink() as sink, tempfile.TemporaryDirectory() as tmp:
        env = {"FIRSTLINE_OUTBOUND_SMTP_HOST": sink.host, "FIRSTLINE_OUTBOUND_SMTP_PORT": str(sink.port),
               "FIRSTLINE_IDENTITY_MAX_CODES": "100000"}  # the per-address limit would stop a benchmark
        product = launch.start(Path(tmp), secret="bench-secret", env=env)
        try:
            report(*measure(product.base, sink, args.n))
        finally:
            product.stop()


if __name__ == "__main__":
    main()
