"""`firstline run`: train what is stale, start Rasa and the app, wait until healthy, stop both cleanly."""

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


def say(msg: str) -> None:
    print(f"[firstline] {msg}", flush=True)


def _pump(proc: subprocess.Popen[str], prefix: str, log: Path) -> None:
    with log.open("a", encoding="utf-8") as f:
        assert proc.stdout is not None
        for line in proc.stdout:
            f.write(line)
            f.flush()
            if os.environ.get("FIRSTLINE_VERBOSE") or any(w in line for w in ("ERROR", "Traceback", "[firstline]")):
                print(f"{prefix} {line}", end="", flush=True)


class Interrupted(Exception):
    """Ctrl-C (or SIGTERM) arrived while we were still starting up."""


def _wait_healthy(url: str, proc: subprocess.Popen[str], name: str, timeout: float, log: Path,
                  stopping: threading.Event) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stopping.is_set():
            raise Interrupted
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with code {proc.returncode}; see {log}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        stopping.wait(0.5)
    raise RuntimeError(f"{name} was not healthy after {timeout:.0f}s; see {log}")


def prepare(settings: CoreSettings) -> Path:
    """Set up the database and train stale models, with progress; return the dialogue model."""
    from web.startup import NLU_DATA, prepare_database

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    say(f"database: {settings.database_url.split('@')[-1]}")
    db, notes = prepare_database(settings)
    for n in notes:
        say(f"first run: {n} (kept in {settings.data_dir / 'credentials.txt'})")
    db.dispose()
    model = rasa_project.train_dialogue(settings, say)
    from bot.nlu import NLUService
    from core.embedding import get_embedder

    say("NLU: checking the intent model")
    NLUService.load_or_train(NLU_DATA, rasa_project.model_dir(settings) / "nlu", embedder=get_embedder(), progress=say)
    return model


def run(settings: CoreSettings, *, train_only: bool = False) -> int:
    try:
        model = prepare(settings)
    except KeyboardInterrupt:  # Ctrl-C while training: nothing is running yet
        say("stopped before start-up finished")
        return 130
    if train_only:
        return 0
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    endpoints = rasa_project.write_endpoints(settings)
    env = dict(os.environ)
    env.update(FIRSTLINE_DATA_DIR=str(settings.data_dir), FIRSTLINE_APP_PORT=str(settings.app_port),
               FIRSTLINE_RASA_PORT=str(settings.rasa_port), FIRSTLINE_APP_HOST=settings.app_host,
               FIRSTLINE_MODEL_DIR=str(rasa_project.model_dir(settings)), HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", PYTHONUNBUFFERED="1")
    app_cmd = [sys.executable, "-m", "uvicorn", "--factory", "web.main:create", "--host", settings.app_host,
               "--port", str(settings.app_port), "--log-level", "warning", "--ws-max-size", "65536"]
    procs: list[tuple[str, subprocess.Popen[str]]] = []

    def start(name: str, cmd: list[str], penv: dict[str, str]) -> subprocess.Popen[str]:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=penv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        threading.Thread(target=_pump, args=(proc, f"[{name}]", logs / f"{name}.log"), daemon=True).start()
        procs.append((name, proc))
        return proc

    stopping = threading.Event()

    def stop(*_: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        say("starting the app and Rasa…")
        app = start("app", app_cmd, env)
        rasa = start("rasa", rasa_project.rasa_command(settings, model, endpoints), {**rasa_project.rasa_env()})
        base = f"http://{settings.app_host}:{settings.app_port}"
        _wait_healthy(f"{base}/health", app, "the app", 180, logs / "app.log", stopping)
        _wait_healthy(f"http://127.0.0.1:{settings.rasa_port}/", rasa, "Rasa", 240, logs / "rasa.log", stopping)
        say("ready")
        say(f"  widget (demo site):  {base}/demo")
        say(f"  agent console:       {base}/console")
        say(f"  admin:               {base}/admin")
        say(f"  API docs:            {base}/docs")
        say(f"  logins:              {settings.data_dir / 'credentials.txt'}")
        say("press Ctrl-C to stop")
        crashed = False
        while not stopping.is_set():
            for name, proc in procs:
                if proc.poll() is not None:
                    say(f"{name} stopped unexpectedly (code {proc.returncode}); see {logs / (name + '.log')}")
                    crashed = True
                    stopping.set()
            stopping.wait(1.0)
        return 1 if crashed else 0
    except Interrupted:
        return 0
    except RuntimeError as exc:
        say(f"error: {exc}")
        return 1
    finally:
        say("stopping…")
        for _, proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for _, proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        say("stopped")
