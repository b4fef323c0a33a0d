"""deploy/: the Prometheus config, alert rules and Grafana dashboard name only metrics the app exposes.

Prometheus and Grafana themselves do not run here (CI does not exercise them); this keeps the names true.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client import REGISTRY

import core.metrics  # noqa: F401 - registers the counters and histograms
from core.db import Database
from web.metrics import StateCollector

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NAME = re.compile(r"\bfirstline_[a-z_]+")
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def exposed(db: Database) -> set[str]:
    names = {m.name for m in REGISTRY.collect() if m.name.startswith("firstline_")}
    names |= {m.name for m in StateCollector(db).collect()}
    return names


def base(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def test_grafana_dashboard_uses_only_exposed_metrics(sqlite_db: Database) -> None:
    dash = json.loads((DEPLOY / "grafana-firstline.json").read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    used = {base(n) for e in exprs for n in NAME.findall(e)}
    assert used and used <= exposed(sqlite_db), used - exposed(sqlite_db)


def test_prometheus_config_and_alerts_parse_and_use_only_exposed_metrics(sqlite_db: Database) -> None:
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    job = config["scrape_configs"][0]
    assert job["metrics_path"] == "/metrics" and job["authorization"]["type"] == "Bearer"
    assert config["rule_files"] == ["firstline-alerts.yml"]
    rules = yaml.safe_load((DEPLOY / "firstline-alerts.yml").read_text())["groups"][0]["rules"]
    used = {base(n) for r in rules for n in NAME.findall(r["expr"])}
    assert used and used <= exposed(sqlite_db), used - exposed(sqlite_db)
