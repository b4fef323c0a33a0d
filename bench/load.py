"""Load benchmark: many concurrent customers against the real product, embedded and production mode side by side.

    .venv/bin/python -m bench.load                       # the labelled short run (see --help)
    .venv/bin/python -m bench.load --chats 200 --duration 600 --think 10   # the issue's full run

For each mode it starts the product itself (`firstline run` or `firstline run --production` on a new
PostgreSQL database and Redis; loopback only), then runs two scenarios:

- capacity: a few chats sending level-one questions back to back (no think time): turns/s the mode
  can carry, as in issue 12's first table;
- customers: --chats concurrent chats with a think time around --think seconds between a customer's
  messages, for --duration seconds: turns/s, turn p50/p95/p99, errors.

Afterwards every conversation is read back through the customer API: each sent message must be
stored exactly once and every customer turn must have its answer or its handoff; handoffs because
the dialogue was unavailable are counted. The load is bounded in chats, turns and time.
Results: bench/results/load.json (with the machine and the load average).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from core.machine import machine

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "load.json"

# Level-one questions, one group per article: a conversation asks at most one of each group, so a
# customer never "rephrases" a question the bot already answered (that would rightly hand off).
QUESTIONS: list[list[str]] = [
    ["how do I reset my password for My Account?", "I forgot my password and can't log in"],
    ["my internet is really slow in the bedroom", "wifi keeps dropping out every evening"],
    ["how do I pay my bill", "can I set up a direct debit"],
    ["I'm moving to a new house next month", "can I take my broadband with me when I move"],
    ["my router lights are red", "how do I turn the router off and on again"],
    ["is there an outage in my area", "is the network down near me"],
    ["I'd like a faster package", "can I downgrade to a cheaper plan"],
    ["I need to reschedule my technician visit", "book an engineer to fix the line"],
    ["where is my order", "what's happening with my repair"],
    ["my TV box says no signal", "some channels are missing on the TV"],
    ["why is my bill higher this month", "what are these charges on my bill"],
    ["how do I change my wifi password", "rename my wifi network"],
]

OPENERS = ["", "", "", "hi, ", "hello, ", "hey - ", "good morning, ", "quick question: ", "sorry to bother you, ",
           "hi there, ", "excuse me, "]
CLOSERS = ["", "", "", "?", " please", " thanks", " thank you", " cheers", "!", " - any idea?", " please help"]


def vary(text: str, rng: random.Random) -> str:
    """Word a question as one customer would: an opener, a closer, their casing, now and then a typo.

    Customers do not send the same few texts thousands of times: with the 24 texts alone every parse,
    query vector and rephrase check after the first would come from a cache (the parser keeps 2,048
    texts), and a turn would cost less than a real one. Varied, nearly every turn pays for its parse.
    """
    words = text.split()
    if rng.random() < 0.3:
        long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
        if long:
            i = rng.choice(long)
            w = words[i]
            j = rng.randrange(len(w) - 1)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]  # two letters swapped
    out = rng.choice(OPENERS) + " ".join(words) + rng.choice(CLOSERS)
    return out.lower() if rng.random() < 0.3 else out


@dataclass
class Chat:
    """One conversation as the customer saw it."""

    id: str
    token: str
    sent: list[str] = field(default_factory=list)  # texts whose POST answered 201
    unconfirmed: list[str] = field(default_factory=list)  # POST failed or timed out: stored at most once
    handed_off: bool = False


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    answered: int = 0
    handoffs: int = 0
    dialogue_down: int = 0
    chats: list[Chat] = field(default_factory=list)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


async def customer(client: httpx.AsyncClient, stats: Stats, rng: random.Random, deadline: float,
                   think: float, first_delay: float, fixed_texts: bool = False) -> None:
    """Start conversations and ask questions until the deadline; a handed-off chat is left to the person."""
    await asyncio.sleep(first_delay)
    while time.monotonic() < deadline:
        try:
            r = await client.post("/api/conversations", json={})
        except httpx.HTTPError as exc:
            stats.error(f"start:{type(exc).__name__}")
            await asyncio.sleep(1)
            continue
        if r.status_code != 201:
            stats.error(f"start:HTTP {r.status_code}")
            await asyncio.sleep(1)
            continue
        chat = Chat(r.json()["conversation_id"], r.json()["token"])
        stats.chats.append(chat)
        auth = {"X-Conversation-Token": chat.token}
        for group in rng.sample(QUESTIONS, len(QUESTIONS)):
            if time.monotonic() >= deadline:
                return
            text = rng.choice(group) if fixed_texts else vary(rng.choice(group), rng)
            t0 = time.monotonic()
            try:
                resp = await client.post(f"/api/conversations/{chat.id}/messages",
                                         json={"text": text, "client_id": uuid.uuid4().hex}, headers=auth)
            except httpx.HTTPError as exc:
                stats.error(f"message:{type(exc).__name__}")
                chat.unconfirmed.append(text)
                break
            if resp.status_code != 201:
                stats.error(f"message:HTTP {resp.status_code}")
                chat.unconfirmed.append(text)
                break
            stats.latencies.append(time.monotonic() - t0)
            chat.sent.append(text)
            body = resp.json()
            kinds = [m["meta"].get("kind") for m in body["messages"] if m["sender"] == "system"]
            if "dialogue_down" in kinds:
                stats.dialogue_down += 1
            if any(m["sender"] == "bot" for m in body["messages"]):
                stats.answered += 1
            if body["status"] != "pending":
                stats.handoffs += 1
                chat.handed_off = True
                break  # a person owns it now: this customer starts over
            if think:
                await asyncio.sleep(max(0.0, min(rng.uniform(0.5 * think, 1.5 * think), deadline - time.monotonic())))


async def verify(base: str, chats: list[Chat]) -> dict[str, Any]:
    """Read every conversation back: each message stored once, each turn answered or handed off."""
    lost = duplicated = unanswered = stored_unconfirmed = 0
    examples: list[str] = []
    sem = asyncio.Semaphore(20)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        async def one(chat: Chat) -> None:
            nonlocal lost, duplicated, unanswered, stored_unconfirmed
            async with sem:
                r = await client.get(f"/api/conversations/{chat.id}", headers={"X-Conversation-Token": chat.token})
            msgs = r.json()["messages"]
            customer = [m["text"] for m in msgs if m["sender"] == "customer"]
            for text in chat.sent:
                n = customer.count(text)
                lost += n == 0
                duplicated += max(0, n - 1)
            for text in chat.unconfirmed:
                n = customer.count(text)
                stored_unconfirmed += n == 1
                duplicated += max(0, n - 1)
            # every customer message is followed by the bot's answer or a system message (handoff, case)
            for i, m in enumerate(msgs):
                if m["sender"] != "customer":
                    continue
                following = []
                for later in msgs[i + 1:]:
                    if later["sender"] == "customer":
                        break
                    following.append(later["sender"])
                if not following and m["text"] not in chat.unconfirmed:
                    unanswered += 1
                    examples.append(m["text"])

        await asyncio.gather(*(one(c) for c in chats))
    return {"conversations": len(chats), "messages_sent": sum(len(c.sent) for c in chats), "lost": lost,
            "duplicated": duplicated, "unanswered": unanswered,
            "failed_requests_stored_once": stored_unconfirmed, "unanswered_examples": sorted(set(examples))[:10]}


def processes() -> dict[int, tuple[str, int, float]]:
    """Every live process: pid -> (name, parent pid, CPU seconds, user + system), read from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[int, tuple[str, int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                head, rest = f.read().rsplit(")", 1)
        except OSError:
            continue
        fields = rest.split()
        out[int(entry)] = (head.split("(", 1)[-1], int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return out


def cpu_seconds(root_pid: int) -> float:
    """CPU time (user + system) of root_pid and all its descendants still alive."""
    procs = processes()
    total, todo = 0.0, [root_pid]
    while todo:
        pid = todo.pop()
        total += procs[pid][2] if pid in procs else 0.0
        todo.extend(p for p, (_, pp, _) in procs.items() if pp == pid)
    return total


SERVICES = ("postgres", "redis-server")


def services_cpu_seconds(names: tuple[str, ...] = SERVICES) -> float:
    """CPU time of this machine's processes whose name starts with one of names: by default its
    PostgreSQL and Redis servers (whole servers; production mode's share of a turn lives there,
    outside the product's process tree)."""
    return sum(cpu for name, _, cpu in processes().values() if name.startswith(names))


async def scenario(base: str, chats: int, duration: float, think: float, root_pid: int, seed: int,
                   fixed_texts: bool = False) -> dict[str, Any]:
    stats = Stats()
    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=chats + 10, max_keepalive_connections=chats + 10)
    cpu0, t0 = cpu_seconds(root_pid), time.monotonic()
    own0 = time.process_time()  # the load generator shares the machine: its CPU is reported too
    services0 = services_cpu_seconds()
    deadline = t0 + duration
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        # customers arrive spread over one think time (or at once, back to back)
        await asyncio.gather(*(customer(client, stats, random.Random(rng.random()), deadline, think,
                                        rng.uniform(0, think) if think else 0.0, fixed_texts) for _ in range(chats)))
    elapsed = time.monotonic() - t0
    cpu = cpu_seconds(root_pid) - cpu0
    own = time.process_time() - own0
    services = services_cpu_seconds() - services0
    turns = len(stats.latencies)
    checked = await verify(base, stats.chats)
    return {
        "chats": chats, "think_seconds": think, "duration_seconds": round(elapsed, 1), "turns": turns,
        "turns_per_second": round(turns / elapsed, 2),
        "turn_p50_s": _r(pct(stats.latencies, 0.50)), "turn_p95_s": _r(pct(stats.latencies, 0.95)),
        "turn_p99_s": _r(pct(stats.latencies, 0.99)), "turn_max_s": _r(max(stats.latencies, default=None)),
        "errors": stats.errors, "answered": stats.answered, "handoffs": stats.handoffs,
        "dialogue_unavailable_handoffs": stats.dialogue_down,
        "product_cpu_ms_per_turn": round(1000 * cpu / turns, 1) if turns else None,
        "load_generator_cpu_ms_per_turn": round(1000 * own / turns, 1) if turns else None,
        "postgres_redis_cpu_ms_per_turn": round(1000 * services / turns, 1) if turns else None,
        "verified": checked,
    }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def start_mode(mode: str, args: argparse.Namespace, workdir: Path) -> tuple[Any, str | None]:
    """Start the product in a mode; return it and the PostgreSQL database to drop afterwards."""
    from firstline import launch

    # Every simulated customer comes from 127.0.0.1, so the per-address budgets (meant for one real
    # visitor's address) are raised; the per-conversation budget stays at its default.
    extra = {"FIRSTLINE_WEB_RATE_START_PER_IP": "100000/minute", "FIRSTLINE_WEB_RATE_MESSAGE_PER_IP": "100000/minute"}
    extra.update(kv.split("=", 1) for kv in args.env)
    if mode == "embedded":
        return launch.start(workdir / "embedded", secret="load-bench-secret", env=extra), None
    import psycopg

    admin = args.database_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"firstline_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    extra.update(DATABASE_URL=admin.rsplit("/", 1)[0] + f"/{name}", REDIS_URL=args.redis_url,
                 FIRSTLINE_RUN_APP_WORKERS=str(args.workers), FIRSTLINE_RUN_RASA_SERVERS=str(args.rasa_servers))
    product = launch.start(workdir / "production", secret="load-bench-secret-0123456789", production=True,
                           env=extra)
    return product, name


def drop_database(args: argparse.Namespace, name: str) -> None:
    import psycopg

    with psycopg.connect(args.database_url.replace("postgresql+psycopg://", "postgresql://"),
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def run_mode(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"firstline-load-{mode}-") as tmp:
        print(f"[load] {mode}: starting the product…", flush=True)
        product, dbname = start_mode(mode, args, Path(tmp))
        try:
            # warm up: every worker loads lazily what the first turns touch
            asyncio.run(scenario(product.base, 4, 8, 0, product.proc.pid, seed=1))
            out: dict[str, Any] = {"mode": mode}
            if args.workers and mode == "production":
                out["app_workers"], out["rasa_servers"] = args.workers, args.rasa_servers
            if args.capacity_chats:
                print(f"[load] {mode}: capacity, {args.capacity_chats} chats back to back for "
                      f"{args.capacity_duration:.0f}s…", flush=True)
                out["capacity"] = asyncio.run(scenario(product.base, args.capacity_chats, args.capacity_duration, 0,
                                                       product.proc.pid, seed=2, fixed_texts=args.fixed_texts))
                print(f"[load] {mode}: {json.dumps(out['capacity'])}", flush=True)
            if args.chats:
                print(f"[load] {mode}: customers, {args.chats} chats, think ~{args.think:.0f}s, "
                      f"{args.duration:.0f}s…", flush=True)
                out["customers"] = asyncio.run(scenario(product.base, args.chats, args.duration, args.think,
                                                        product.proc.pid, seed=3, fixed_texts=args.fixed_texts))
                print(f"[load] {mode}: {json.dumps(out['customers'])}", flush=True)
            return out
        finally:
            product.stop()
            if dbname:
                drop_database(args, dbname)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--modes", default="embedded,production")
    ap.add_argument("--chats", type=int, default=200, help="concurrent customers with think time (0: skip)")
    ap.add_argument("--duration", type=float, default=120.0, help="seconds of the customers scenario (issue: 600)")
    ap.add_argument("--think", type=float, default=10.0, help="mean seconds between a customer's messages")
    ap.add_argument("--capacity-chats", type=int, default=40, help="chats sending back to back (0: skip)")
    ap.add_argument("--capacity-duration", type=float, default=45.0)
    ap.add_argument("--workers", type=int, default=2, help="production mode: app workers")
    ap.add_argument("--rasa-servers", type=int, default=2, help="production mode: Rasa servers")
    ap.add_argument("--database-url", default=os.environ.get("DATABASE_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/test"),
                    help="PostgreSQL server (a new database is created on it and dropped afterwards)")
    ap.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                    help="extra settings for the product (e.g. raised per-IP rate limits); repeatable")
    ap.add_argument("--fixed-texts", action="store_true",
                    help="send the 24 questions word for word (every parse after the first is cached), as runs "
                         "before 2026-12-03 evening did; default: varied wording, typos and casing")
    ap.add_argument("--label", default="", help="what kind of run this is (stored with the results)")
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args(argv)
    if args.chats > 1000 or args.duration > 1800 or args.capacity_chats > 200:
        ap.error("bounded: at most 1000 chats, 1800 s and 200 capacity chats")
    print(f"[load] machine: {machine()}", flush=True)
    load_before = os.getloadavg()
    results = [run_mode(m.strip(), args) for m in args.modes.split(",") if m.strip()]
    report = {"machine": machine(), "label": args.label, "texts": "fixed" if args.fixed_texts else "varied",
              "load_average_before": [round(x, 2) for x in load_before],
              "load_average_after": [round(x, 2) for x in os.getloadavg()],
              "command": "python -m bench.load " + " ".join(argv if argv is not None else sys.argv[1:]),
              "modes": results}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
