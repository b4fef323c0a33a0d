"""`firstline run`: train what is stale (in a child), start Rasa and the app, keep them running, stop cleanly.

A crash of one process does not close the desk: the supervisor restarts it with backoff
(1 s, 2 s, 4 s … capped at 30 s) while the others keep serving. Training runs in a child process
(`firstline train`), so the supervisor never holds the models' memory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from core.settings import ROOT, CoreSettings
from firstline import rasa_project
from firstline.service import Service


def say(msg: str) -> None:
    print(f"[firstline] {msg}", flush=True)


class Interrupted(Exception):
    """Ctrl-C (or SIGTERM) arrived while we were still starting up."""


def _wait_healthy(svc: Service, name: str, timeout: float, stopping: threading.Event) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stopping.is_set():
            raise Interrupted
        if svc.proc is None or svc.proc.poll() is not None:
            code = svc.proc.returncode if svc.proc is not None else None
            raise RuntimeError(f"{name} exited with code {code}; see {svc.log}")
        try:
            if httpx.get(svc.health_url, timeout=2.0).status_code == 200:
                svc.healthy, svc.healthy_since = True, time.monotonic()
                return
        except httpx.HTTPError:
            pass
        stopping.wait(0.5)
    raise RuntimeError(f"{name} was not healthy after {timeout:.0f}s; see {svc.log}")


def prepare(settings: CoreSettings, *, dialogue: bool = True) -> Path | None:
    """Set up the database and train stale models, with progress; return the dialogue model.

    This is `firstline train`: it loads the embedding model and trains, so the supervisor runs it
    in a child process and keeps none of that memory.
    """
    from web.startup import NLU_DATA, prepare_database

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    say(f"database: {settings.database_url.split('@')[-1]}")
    db, notes = prepare_database(settings)
    for n in notes:
        say(f"first run: {n} (kept in {settings.data_dir / 'credentials.txt'})")
    db.dispose()
    # docker-compose trains the dialogue in the official Rasa image instead (--skip-dialogue)
    model = rasa_project.train_dialogue(settings, say) if dialogue else None
    from bot.nlu import NLUService
    from core.embedding import get_embedder
    from firstline.progress import ProgressEmbedder

    say("NLU: checking the intent model")
    embedder = get_embedder()
    NLUService.load_or_train(NLU_DATA, rasa_project.model_dir(settings) / "nlu", progress=say,
                             embedder=ProgressEmbedder(embedder, "NLU: encoding training examples"))
    # The search index too, once, before the app starts: several workers must not all build it.
    from core.db import Database
    from knowledge_base import KnowledgeBase

    say("knowledge base: checking the search index")
    db = Database(settings.database_url)
    try:
        KnowledgeBase.open(db, embedder=ProgressEmbedder(embedder, "knowledge base: encoding passages"))
    finally:
        db.dispose()
    return model


def train_in_child(settings: CoreSettings) -> Path:
    """Run `firstline train` as a child process; return the dialogue model it left."""
    env = dict(os.environ, FIRSTLINE_DATA_DIR=str(settings.data_dir),
               FIRSTLINE_MODEL_DIR=str(rasa_project.model_dir(settings)), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "firstline.cli", "train"], cwd=ROOT, env=env)
    try:
        code = proc.wait()
    except KeyboardInterrupt:  # the child got the same Ctrl-C (same process group): let it finish
        proc.wait()
        raise
    if code != 0:
        raise RuntimeError(f"training failed (firstline train exited with code {code})")
    model = rasa_project.dialogue_model(settings)
    if not model.exists():
        raise RuntimeError(f"training finished but {model} is missing")
    return model


def base_env(settings: CoreSettings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(FIRSTLINE_DATA_DIR=str(settings.data_dir), FIRSTLINE_APP_PORT=str(settings.app_port),
               FIRSTLINE_RASA_PORT=str(settings.rasa_port), FIRSTLINE_APP_HOST=settings.app_host,
               FIRSTLINE_MODEL_DIR=str(rasa_project.model_dir(settings)), HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", PYTHONUNBUFFERED="1")
    return env


def embedded_services(settings: CoreSettings, model: Path, logs: Path) -> list[Service]:
    """One app process and one Rasa server (the default)."""
    endpoints = rasa_project.write_endpoints(settings)
    run_dir = settings.data_dir / "run"
    app_cmd = [sys.executable, "-m", "uvicorn", "--factory", "web.main:create", "--host", settings.app_host,
               "--port", str(settings.app_port), "--log-level", "warning", "--ws-max-size", "65536"]
    base = f"http://{settings.app_host}:{settings.app_port}"
    return [
        Service("app", app_cmd, base_env(settings), f"{base}/health", logs, run_dir, start_timeout=180),
        Service("rasa", rasa_project.rasa_command(settings, model, endpoints), rasa_project.rasa_env(),
                f"http://127.0.0.1:{settings.rasa_port}/", logs, run_dir, start_timeout=240),
    ]


def run(settings: CoreSettings, *, train_only: bool = False, production: bool = False,
        dialogue: bool = True) -> int:
    if train_only:
        try:
            prepare(settings, dialogue=dialogue)
        except KeyboardInterrupt:
            say("stopped before training finished")
            return 130
        return 0
    if production:
        from firstline.production import ProductionError, check, production_services

        try:
            run_settings = check(settings)
        except ProductionError as exc:
            say(f"refusing to start in production mode: {exc}")
            return 2
    try:
        model = train_in_child(settings)
    except KeyboardInterrupt:  # Ctrl-C while training: nothing is running yet
        say("stopped before start-up finished")
        return 130
    except RuntimeError as exc:
        say(f"error: {exc}")
        return 1
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    services = (production_services(settings, run_settings, model, logs) if production
                else embedded_services(settings, model, logs))
    stopping = threading.Event()

    def stop(*_: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        say("starting " + ", ".join(s.name for s in services) + "…")
        # Those that wait for another (a second Rasa server creating the same tracker tables) start after it.
        for svc in services:
            if svc.start_after is None:
                svc.start(say)
        for svc in services:
            if svc.proc is None:
                _wait_healthy(next(s for s in services if s.name == svc.start_after), svc.start_after or "",
                              svc.start_timeout, stopping)
                svc.start(say)
        for svc in services:
            _wait_healthy(svc, svc.name, svc.start_timeout, stopping)
        base = services[0].health_url.removesuffix("/health")
        say("ready")
        say(f"  widget (demo site):  {base}/demo")
        say(f"  agent console:       {base}/console")
        say(f"  admin:               {base}/admin")
        say(f"  API docs:            {base}/docs")
        say(f"  logins:              {settings.data_dir / 'credentials.txt'}")
        say("press Ctrl-C to stop")
        while not stopping.is_set():
            now = time.monotonic()
            for svc in services:
                svc.tick(now, say)
            stopping.wait(0.5)
        return 0
    except Interrupted:
        return 0
    except RuntimeError as exc:
        say(f"error: {exc}")
        return 1
    finally:
        say("stopping…")
        for svc in services:
            svc.stop()
        for svc in services:
            svc.wait_stopped()
        say("stopped")
