"""Start the whole product (`firstline run`) as a child process on free ports, for tests and benchmarks.

The child gets its own data directory and shares the trained-model cache, so a second start does
not retrain. Stopping sends SIGINT, exactly what Ctrl-C does in a terminal.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 900  # first run on a fresh machine trains the dialogue and NLU models


class LaunchError(RuntimeError):
    """The product did not become ready; the message carries the tail of its output and logs."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Product:
    base: str
    rasa: str
    data_dir: Path
    output: list[str]
    secret: str
    database_url: str = ""  # production mode: PostgreSQL; else the SQLite file under data_dir
    env: dict[str, str] = field(default_factory=dict, repr=False)  # what `firstline run` was started with
    proc: subprocess.Popen[str] | None = field(default=None, repr=False)
    reader: threading.Thread | None = field(default=None, repr=False)

    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'firstline.db'}"

    def credentials(self) -> dict[str, str]:
        """Return {login: password} from the credentials file the first run writes."""
        creds: dict[str, str] = {}
        for line in (self.data_dir / "credentials.txt").read_text().splitlines():
            who, _, pw = line.partition(": password ")
            for name in who.removeprefix("demo agents ").split(", "):
                creds[name] = pw
        return creds

    def pid(self, name: str) -> int:
        """Return the pid of a supervised process ("app", "rasa"; production: "rasa-2" …) from its pid file."""
        return int((self.data_dir / "run" / f"{name}.pid").read_text())

    def stop(self, timeout: float = 60) -> int:
        """Stop both processes as Ctrl-C does; return the exit code."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGINT)
        code = self.proc.wait(timeout=timeout)
        if self.reader is not None:
            self.reader.join(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return code


def free_ports(n: int) -> int:
    """Return the first of n consecutive free ports (production mode's Rasa servers sit side by side)."""
    for _ in range(50):
        first = free_port()
        ok = True
        for port in range(first + 1, first + n):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return first
    raise LaunchError(f"no {n} consecutive free ports")


def start(data_dir: Path, *, secret: str, model_dir: Path | None = None, timeout: float = START_TIMEOUT,
          production: bool = False, env: dict[str, str] | None = None) -> Product:
    """Run `firstline run` with its own data directory; return once it prints that it is ready.

    env adds settings for the child (a test mail server, a channel secret, a benchmark's raised limits).
    production: `firstline run --production`; env then carries DATABASE_URL and REDIS_URL, and
    may carry any other setting (worker counts, a benchmark's raised limits).
    """
    extra = dict(env or {})
    app_port = free_port()
    rasa_port = free_ports(int(extra.get("FIRSTLINE_RUN_RASA_SERVERS", "2")) if production else 1)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("FIRSTLINE_") and k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(FIRSTLINE_DATA_DIR=str(data_dir), FIRSTLINE_APP_PORT=str(app_port), FIRSTLINE_RASA_PORT=str(rasa_port),
               FIRSTLINE_MODEL_DIR=str(model_dir or ROOT / "var" / "models"), FIRSTLINE_SECRET_KEY=secret,
               PYTHONUNBUFFERED="1")
    env.update(extra)
    cmd = [sys.executable, "-m", "firstline.cli", "run"] + (["--production"] if production else [])
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    output: list[str] = []
    ready = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            if line.strip() == "[firstline] ready":
                ready.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    while not ready.is_set() and proc.poll() is None and time.monotonic() < deadline:
        ready.wait(1.0)
    if not ready.is_set():
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        logs = "".join(f.read_text()[-3000:] for f in sorted((data_dir / "logs").glob("*.log")))
        raise LaunchError("firstline run did not become ready:\n" + "".join(output[-60:]) + logs)
    return Product(f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{rasa_port}", data_dir, output, secret,
                   database_url=extra.get("DATABASE_URL", "") if production else "", env=env, proc=proc, reader=reader)
