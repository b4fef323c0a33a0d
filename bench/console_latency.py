"""Benchmark: time from a customer's triggering message to the agent console's event.

Runs against a running product (`make run`, or any base URL): logs in as an agent, listens on the
console WebSocket, and for N fresh conversations sends "I want to talk to a person", timing the
moment the handoff event reaches the console. Prints p50/p95 with the machine.

    .venv/bin/python -m bench.console_latency --base http://127.0.0.1:8000 --agent maria --password …
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import httpx
import websockets

from core.machine import machine

HANDOFF_EVENTS = {"conversation.handed_off", "conversation.queued"}


async def run(base: str, agent: str, password: str, n: int) -> list[float]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        r = await client.post("/login", data={"username": agent, "password": password})
        if "firstline_session" not in client.cookies:
            raise SystemExit(f"login failed for {agent}: HTTP {r.status_code}")
        client.headers["X-CSRF-Token"] = (await client.get("/api/console/me")).json()["csrf_token"]
        await client.put("/api/console/me/status", json={"status": "online"})
        cookie = f"firstline_session={client.cookies['firstline_session']}"
        ws_url = base.replace("http", "ws", 1) + "/api/console/ws"
        timings: list[float] = []
        async with websockets.connect(ws_url, additional_headers={"Cookie": cookie}) as ws:
            for _ in range(n):
                start = (await client.post("/api/conversations", json={})).json()
                cid, auth = start["conversation_id"], {"X-Conversation-Token": start["token"]}
                t0 = time.perf_counter()
                send = asyncio.create_task(client.post(f"/api/conversations/{cid}/messages",
                                                       json={"text": "I want to talk to a person"}, headers=auth))
                while True:
                    event = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
                    if event["event"] in HANDOFF_EVENTS and event["conversation_id"] == cid:
                        timings.append((time.perf_counter() - t0) * 1000)
                        break
                await send
                # hand it back so the agent's capacity does not run out during the run
                await client.post(f"/api/console/conversations/{cid}/accept")
                await client.post(f"/api/console/conversations/{cid}/resolve")
        return timings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="http://127.0.0.1:8000")
    ap.add_argument("--agent", default="maria")
    ap.add_argument("--password", required=True)
    ap.add_argument("-n", type=int, default=30)
    args = ap.parse_args()
    report(asyncio.run(run(args.base, args.agent, args.password, args.n)))


def report(t: list[float]) -> None:
    q = statistics.quantiles(t, n=20, method="inclusive")
    print(f"machine: {machine()}")
    print(f"handoff → console event, n={len(t)}: p50 {statistics.median(t):.0f} ms, p95 {q[18]:.0f} ms, "
          f"max {max(t):.0f} ms (target: within 500 ms)")


if __name__ == "__main__":
    main()
