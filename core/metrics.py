"""Prometheus metrics of the product, defined once for every package (prometheus_client).

Counters and histograms live here so that any package can record one without importing the web
app. Gauges of the current state (queue length, agents online, follow-ups) are not here: they are
read from the database when /metrics is scraped (web/metrics.py).

Several app workers: set PROMETHEUS_MULTIPROC_DIR to an empty directory shared by the workers
before any of them starts (prometheus_client decides at import). Each worker then writes its
values to files there and /metrics, in whichever worker answers, adds them up. The process that
starts the workers empties the directory first (clear_multiprocess_dir) and calls
mark_process_dead(pid) when a worker exits.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram

# Seconds; chat requests are fast, Rasa and the NLU are the slow parts.
_FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUEST_SECONDS = Histogram(
    "firstline_http_request_duration_seconds",
    "HTTP request latency by route template (never the raw path), method and status code.",
    ["method", "route", "status"], buckets=_FAST,
)
TURN_SECONDS = Histogram(
    "firstline_turn_duration_seconds",
    "One customer message through the conversation loop, until the bot's reply (or handoff) is recorded.",
    ["outcome"], buckets=_FAST,
)
NLU_PARSE_SECONDS = Histogram(
    "firstline_nlu_parse_duration_seconds", "NLU parse of one message (cache hits included).", buckets=_FAST,
)
RASA_REQUEST_SECONDS = Histogram(
    "firstline_rasa_request_duration_seconds", "Calls to Rasa's REST channel, failed ones included.", buckets=_FAST,
)
RASA_FAILURES = Counter(
    "firstline_rasa_failures_total", "Rasa calls that failed, by reason.", ["reason"],
)
RASA_SLOW = Counter(
    "firstline_rasa_slow_total",
    "Times a Rasa call outlived the timeout while Rasa answered its health check (slow, so the turn waited on).",
)
HANDOFFS = Counter(
    "firstline_handoffs_total",
    "Handoffs to people by trigger; outcome 'agent' = a named person, 'case' = a case with a promised time.",
    ["trigger", "outcome"],
)
# Set by surge detection (issue 11, branch i11-surge): 1 while a surge alert is active.
SURGE_ACTIVE = Gauge(
    "firstline_surge_active", "1 while a surge alert is active, else 0.", multiprocess_mode="livemax",
)
SURGE_ALERTS = Counter(
    "firstline_surge_alerts_total", "Surge alerts raised, by the intent that drives them.", ["intent"],
)

RASA_FAILURE_REASONS = ("timeout", "unreachable", "http_status", "bad_reply", "overloaded")


def multiprocess_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")
    return Path(value) if value else None


def clear_multiprocess_dir() -> None:
    """Empty PROMETHEUS_MULTIPROC_DIR (create it if missing); call once before starting the workers."""
    path = multiprocess_dir()
    if path is None:
        return
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


__all__ = [
    "HANDOFFS",
    "HTTP_REQUEST_SECONDS",
    "NLU_PARSE_SECONDS",
    "RASA_FAILURES",
    "RASA_FAILURE_REASONS",
    "RASA_REQUEST_SECONDS",
    "RASA_SLOW",
    "SURGE_ACTIVE",
    "SURGE_ALERTS",
    "TURN_SECONDS",
    "clear_multiprocess_dir",
    "multiprocess_dir",
]
