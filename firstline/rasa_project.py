"""The Rasa side: train the dialogue model when its inputs change, and write its endpoints."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from core.settings import ROOT, CoreSettings
from web.security import internal_token

RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
FIXED_INPUTS = [ROOT / "bot" / "domain.yml", ROOT / "bot" / "config.yml", ROOT / "bot" / "requirements-rasa.txt"]


def dialogue_inputs() -> list[Path]:
    """What `rasa train core` reads: the domain, config and every rules/stories file in data/."""
    return FIXED_INPUTS + sorted((ROOT / "data").glob("*.yml"))


def model_dir(settings: CoreSettings) -> Path:
    assert settings.model_dir is not None
    return settings.model_dir


def dialogue_fingerprint() -> str:
    h = hashlib.sha256()
    for path in dialogue_inputs():
        h.update(path.name.encode())
        h.update(path.read_bytes() if path.exists() else b"")
    return h.hexdigest()[:16]


def dialogue_model(settings: CoreSettings) -> Path:
    return model_dir(settings) / "rasa" / f"dialogue-{dialogue_fingerprint()}.tar.gz"


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    # Rasa phones home and TensorFlow is noisy; neither helps here (and there is no network).
    env.update(RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", SQLALCHEMY_SILENCE_UBER_WARNING="1",
               PYTHONWARNINGS="ignore")
    # bot/rasa_site/sitecustomize.py: a JSON schema re-checked on every action call (~40 % of its CPU), tracker
    # commits that waited for the disk, and the parse the app already sent asked for again over HTTP
    site = str(ROOT / "bot" / "rasa_site")
    env["PYTHONPATH"] = os.pathsep.join([site, *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
    return env


def train_dialogue(settings: CoreSettings, say=print) -> Path:  # type: ignore[no-untyped-def]
    """Train Rasa's dialogue policies unless a model for the current inputs exists; return it."""
    target = dialogue_model(settings)
    if target.exists():
        say(f"dialogue model is up to date ({target.name})")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    say("training the Rasa dialogue model (rasa train core, about a minute)…")
    cmd = [str(RASA_BIN), "train", "core", "--domain", str(ROOT / "bot" / "domain.yml"),
           "--config", str(ROOT / "bot" / "config.yml"), "--stories", str(ROOT / "data"),
           "--out", str(target.parent), "--fixed-model-name", target.name.removesuffix(".tar.gz")]
    log = target.parent / "train.log"
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=rasa_env(), stdout=out, stderr=subprocess.STDOUT)
        from firstline.progress import dialogue_percent, interactive

        # Rasa's own bars go to its log; a person gets a percentage (components trained) and a heartbeat
        tty, last_said = interactive(), started
        while proc.poll() is None:
            try:
                proc.wait(timeout=1 if tty else 15)
            except subprocess.TimeoutExpired:
                pct = dialogue_percent(log, ROOT / "bot" / "config.yml")
                elapsed = time.monotonic() - started
                if tty:
                    print(f"\r[firstline]   training the dialogue model: {pct or 0:3d}% ({elapsed:.0f}s)", end="",
                          file=sys.stderr, flush=True)
                elif time.monotonic() - last_said >= 15:
                    last_said = time.monotonic()
                    say(f"  still training the dialogue model ({pct or 0}%, {elapsed:.0f}s)…")
        if tty:
            print(file=sys.stderr)
    if proc.returncode != 0 or not target.exists():
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"rasa train core failed ({proc.returncode}); see {log}:\n{tail}")
    for old in target.parent.glob("dialogue-*.tar.gz"):
        if old != target:
            old.unlink()
    say(f"dialogue model trained ({target.name})")
    return target


def write_endpoints(settings: CoreSettings, *, app_url: str = "", path: Path | None = None) -> Path:
    """Write the endpoints Rasa uses: our NLU and actions (with a token), and its stores."""
    rasa_dir = settings.data_dir / "rasa"
    rasa_dir.mkdir(parents=True, exist_ok=True)
    token = internal_token(settings.secret_key)
    app = app_url.rstrip("/") or f"http://127.0.0.1:{settings.app_port}"
    tracker = (
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {rasa_dir / 'tracker.db'}\n"
        if not settings.database_url.startswith("postgres")
        else _pg_tracker(settings.database_url)
    )
    lock = ""
    if settings.redis_url:
        from urllib.parse import urlparse

        r = urlparse(settings.redis_url)
        lock = f"lock_store:\n  type: redis\n  url: {r.hostname}\n  port: {r.port or 6379}\n  db: 1\n"
    text = (
        f"nlu:\n  url: {app}/nlu\n  token: {token}\n"
        f"action_endpoint:\n  url: {app}/webhook\n  token: {token}\n"
        f"{tracker}{lock}"
    )
    path = path or rasa_dir / "endpoints.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _pg_tracker(url: str) -> str:
    from urllib.parse import urlparse

    u = urlparse(url.replace("+psycopg", ""))
    return (f"tracker_store:\n  type: SQL\n  dialect: postgresql\n  url: {u.hostname}\n  port: {u.port or 5432}\n"
            f"  username: {u.username or ''}\n  password: {u.password or ''}\n  db: {u.path.lstrip('/')}\n")


def rasa_command(settings: CoreSettings, model: Path, endpoints: Path) -> list[str]:
    return [str(RASA_BIN), "run", "--enable-api", "--model", str(model), "--endpoints", str(endpoints),
            "--credentials", str(ROOT / "bot" / "credentials.yml"), "--interface", "127.0.0.1",
            "--port", str(settings.rasa_port), "--auth-token", internal_token(settings.secret_key)]
