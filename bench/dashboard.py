"""Time the experience dashboard on 100,000 conversations: `python -m bench.dashboard [--conversations N]`.

Seeds a fresh SQLite database (and, when DATABASE_URL is set, a new PostgreSQL database that it
drops afterwards) with conversations, messages, handoffs and ratings in proportions like the demo
desk's, spread over --history-days days before the range's end (365: a desk with 100,000 chats a
year looking at its last month; 30: the worst case, every conversation inside the range), then
builds the hourly rollups as the app's minute job leaves them (the last hour open, three hours
dirty), times the dashboard as served (insights.rollup_figures) and from the raw queries alone, for
the last 30 days and (365-day history) the whole year (p50 and max over --runs runs), and writes
bench/results/dashboard.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.db import Database
from core.machine import machine as describe_machine

OUT = Path(__file__).resolve().parent / "results" / "dashboard.json"
END = datetime(2026, 11, 30, tzinfo=UTC)
DAYS = 30
INTENTS = ["billing_question", "outage", "slow_wifi", "password_reset", "change_plan", "moving_home", "tv_no_signal",
           "cancel_service", "complaint", "payment_methods", "engineer_visit", "track_order", "greet", "thanks",
           "request_human", "nlu_fallback", "router_restart", "wifi_password", "refund", "contract_end"]
TRIGGERS = [("asked_for_human", 40), ("negative_sentiment", 15), ("repeated_fallback", 12), ("low_confidence", 10),
            ("sensitive_intent", 8), ("not_helpful_twice", 6), ("rephrase_loop", 5), ("dialogue_unavailable", 2),
            ("customer_rule", 2)]
QUESTIONS = [f"question nobody answered number {i}" for i in range(400)]


def seed(db: Database, n: int, rnd: random.Random, history_days: int = DAYS) -> dict[str, int]:
    """Insert n conversations with their messages, handoffs and ratings; return the row counts."""
    from crm import Agent, Conversation, Customer, Handoff, Message

    agents = [{"id": i, "username": f"agent{i}", "display_name": f"Agent {i}", "password_hash": "x", "role": "agent",
               "team": "Support", "skills": [], "languages": ["en"], "capacity": 3,
               "status": "online" if i <= 12 else "offline", "working_hours": {}, "timezone": "UTC",
               "created_at": END} for i in range(1, 21)]
    customers = [{"id": uuid.uuid4().hex, "name": f"Customer {i}", "segment": "residential", "vip": False,
                  "profile": {}, "created_at": END - timedelta(days=90)} for i in range(n // 2)]
    convs: list[dict[str, Any]] = []
    msgs: list[dict[str, Any]] = []
    handoffs: list[dict[str, Any]] = []
    start = END - timedelta(days=history_days)
    trig_names, trig_weights = zip(*TRIGGERS, strict=True)
    for i in range(n):
        cid = uuid.uuid4().hex
        t0 = start + timedelta(seconds=rnd.uniform(0, history_days * 86400 - 3600))
        conv = {"id": cid, "customer_id": customers[i % len(customers)]["id"], "status": "resolved",
                "channel": "widget", "assigned_agent_id": None, "handoff_reason": None, "rating": None,
                "version": 0, "created_at": t0, "updated_at": t0}
        convs.append(conv)
        if rnd.random() < 0.08:  # opened the widget and left
            continue
        t = t0
        handed = rnd.random() < 0.25
        turns = rnd.choice([1, 1, 2, 2, 2, 3, 3, 4])
        for _ in range(turns):
            t += timedelta(seconds=rnd.uniform(5, 60))
            failed = rnd.random() < 0.1
            text = rnd.choice(QUESTIONS) if failed else "a question the bot could answer"
            msgs.append({"conversation_id": cid, "sender": "customer", "text": text,
                         "intent": "nlu_fallback" if failed else rnd.choice(INTENTS), "confidence": 0.8,
                         "sentiment": max(-1.0, min(1.0, rnd.gauss(0.05, 0.4))), "entities": [], "parse": {},
                         "meta": {}, "created_at": t})
            t += timedelta(seconds=rnd.uniform(0.05, 1.5))
            if failed:
                meta: dict[str, Any] = {"kind": rnd.choice(["fallback", "no_answer", "clarify"])}
            else:
                meta = {"kind": "kb_answer", "feedback": True, "score": 0.8}
                if rnd.random() < 0.3:
                    meta["helpful"] = rnd.random() < 0.75
            msgs.append({"conversation_id": cid, "sender": "bot", "text": "the bot's reply", "intent": None,
                         "confidence": None, "sentiment": None, "entities": [], "parse": {}, "meta": meta,
                         "created_at": t})
        if handed:
            agent = rnd.choice(agents)["id"]
            h_at = t + timedelta(seconds=1)
            accepted = rnd.random() < 0.85
            acc_at = h_at + timedelta(seconds=rnd.lognormvariate(4.5, 0.8)) if accepted else None
            handoffs.append({"conversation_id": cid, "trigger": rnd.choices(trig_names, trig_weights)[0],
                             "reason": "why", "agent_id": agent, "packet": {}, "created_at": h_at,
                             "accepted_at": acc_at})
            conv.update(assigned_agent_id=agent, handoff_reason="why")
            if acc_at is None:
                conv["status"] = "queued" if rnd.random() < 0.02 else "resolved"
            else:
                t = acc_at
                for _ in range(rnd.choice([1, 2, 3])):
                    t += timedelta(seconds=rnd.uniform(10, 120))
                    msgs.append({"conversation_id": cid, "sender": "agent", "agent_id": agent, "text": "agent reply",
                                 "intent": None, "confidence": None, "sentiment": None, "entities": [], "parse": {},
                                 "meta": {}, "created_at": t})
                    t += timedelta(seconds=rnd.uniform(10, 90))
                    msgs.append({"conversation_id": cid, "sender": "customer", "text": "thanks", "intent": "thanks",
                                 "confidence": 0.9, "sentiment": 0.3, "entities": [], "parse": {}, "meta": {},
                                 "created_at": t})
        if rnd.random() < (0.35 if handed else 0.1):
            conv["rating"] = rnd.choices([1, 2, 3, 4, 5], [8, 7, 10, 30, 45])[0]
        conv["updated_at"] = t
    for m in msgs:
        m.setdefault("agent_id", None)
        m.setdefault("client_id", None)
    with db.engine.begin() as conn:
        conn.execute(Agent.__table__.insert(), agents)
        for table, rows in ((Customer.__table__, customers), (Conversation.__table__, convs),
                            (Message.__table__, msgs), (Handoff.__table__, handoffs)):
            for i in range(0, len(rows), 20000):
                conn.execute(table.insert(), rows[i : i + 20000])
    return {"conversations": len(convs), "messages": len(msgs), "handoffs": len(handoffs),
            "ratings": sum(1 for c in convs if c["rating"]), "customers": len(customers)}


def time_all(db: Database, runs: int, history_days: int, per_figure: bool) -> dict[str, Any]:
    """Time the dashboard as served (rollups + raw edge) and, for comparison, from the raw queries alone."""
    from insights import rollup_figures
    from insights.dashboard import FIGURES, Period, dashboard, queue_now

    out: dict[str, Any] = {}

    def measure(fn: Any) -> dict[str, float]:
        # Wall time, and this process's CPU time: on SQLite (in-process) the CPU time is what the query
        # costs on a quiet machine, whatever else the shared machine is doing.
        times, cpu = [], []
        for _ in range(runs):
            with db.session() as s:
                t, c = time.perf_counter(), time.process_time()
                fn(s)
                times.append((time.perf_counter() - t) * 1000)
                cpu.append((time.process_time() - c) * 1000)
        return {"p50_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1),
                "cpu_p50_ms": round(statistics.median(cpu), 1)}

    ranges = [(f"last {DAYS} days", DAYS)]
    if history_days > DAYS:
        ranges.append((f"all {history_days} days", history_days))
    for label, days in ranges:
        for gran in ("day", "hour"):
            if gran == "hour" and days > 31:
                continue
            period = Period(END - timedelta(days=days), END, gran)
            out[f"served dashboard ({label} by {gran})"] = measure(
                lambda s, p=period: rollup_figures.dashboard(s, p, END))
            out[f"raw dashboard ({label} by {gran})"] = measure(lambda s, p=period: dashboard(s, p, END))
    if per_figure:
        period = Period(END - timedelta(days=DAYS), END, "day")
        for key, fn in FIGURES.items():
            out[f"raw {key}"] = measure(lambda s, fn=fn: fn(s, period))
        out["queue"] = measure(lambda s: queue_now(s, END))
    return out


def roll_up(db: Database) -> dict[str, Any]:
    """Build the rollups as the app's minute job leaves them mid-hour: every hour before END's rolled up
    except the last (still open, read raw) and three hours changed since (marked dirty, read raw)."""
    from insights.rollup_models import DirtyHour
    from insights.rollups import rebuild

    t = time.perf_counter()
    with db.session() as s:
        done = rebuild(s, END - timedelta(minutes=1))
    seconds = time.perf_counter() - t
    with db.session() as s:
        s.add_all([DirtyHour(hour=END - timedelta(hours=h)) for h in (5, 30, 200)])
    return {"rebuild_seconds": round(seconds, 1), **done, "open_hours": 1, "dirty_hours": 3}


def run_on(url: str, n: int, runs: int, seed_value: int, history_days: int, per_figure: bool = False) -> dict[str, Any]:
    from crm import migrate

    db = Database(url)
    try:
        migrate(db)
        t = time.perf_counter()
        counts = seed(db, n, random.Random(seed_value), history_days)
        seeded = time.perf_counter() - t
        _analyze(db)
        rolled = roll_up(db)
        _analyze(db)  # as autovacuum would have by then: the planners see the rollup tables' sizes
        return {"rows": counts, "seed_seconds": round(seeded, 1), "rollups": rolled,
                "timings": time_all(db, runs, history_days, per_figure)}
    finally:
        db.dispose()


def _analyze(db: Database) -> None:
    if not db.is_sqlite:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def _pg_admin(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conversations", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--history-days", default="365,30", help="comma-separated: one run per history length")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--per-figure", action="store_true", help="also time each raw figure on its own")
    args = ap.parse_args(argv)
    result: dict[str, Any] = {"machine": describe_machine(), "conversations": args.conversations,
                              "range_days": DAYS, "runs": args.runs, "load_average": os.getloadavg()}
    print("machine:", result["machine"])
    pg = os.environ.get("DATABASE_URL", "")
    for days in (int(d) for d in args.history_days.split(",")):
        label = f"{args.conversations} conversations over {days} days"
        with tempfile.TemporaryDirectory() as tmp:
            res = run_on(f"sqlite:///{tmp}/bench.db", args.conversations, args.runs, args.seed, days,
                             args.per_figure)
        result[f"sqlite, {label}"] = res
        _print(f"sqlite, {label}", res)
        if pg.startswith(("postgres://", "postgresql")):
            admin = pg.replace("postgresql+psycopg://", "postgresql://")
            name = f"firstline_bench_{uuid.uuid4().hex[:8]}"
            _pg_admin(admin, f'CREATE DATABASE "{name}"')
            try:
                res = run_on(f"{admin.rpartition('/')[0]}/{name}", args.conversations, args.runs, args.seed, days,
                             args.per_figure)
            finally:
                _pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            result[f"postgresql, {label}"] = res
            _print(f"postgresql, {label}", res)
    result["load_average_after"] = os.getloadavg()
    print("load average before / after:", result["load_average"], result["load_average_after"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


def _print(name: str, res: dict[str, Any]) -> None:
    print(f"\n{name}: {res['rows']} (seeded in {res['seed_seconds']} s)")
    print(f"  rollups: {res['rollups']}")
    for key, t in res["timings"].items():
        print(f"  {key:44s} p50 {t['p50_ms']:8.1f} ms   max {t['max_ms']:8.1f} ms   "
              f"(this process's CPU p50 {t['cpu_p50_ms']:7.1f} ms)")


if __name__ == "__main__":
    main()
