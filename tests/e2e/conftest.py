"""The real product for end-to-end tests: `firstline run` (real Rasa, real model, real database).

Started once per session on free ports in a temporary data directory; trained models are
cached under var/models (keyed by their inputs' hash) so a second run does not retrain.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 900  # first run on a fresh machine trains the dialogue and NLU models


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

    def db_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'firstline.db'}"

    def credentials(self) -> dict[str, str]:
        creds: dict[str, str] = {}
        for line in (self.data_dir / "credentials.txt").read_text().splitlines():
            who, _, pw = line.partition(": password ")
            for name in who.removeprefix("demo agents ").split(", "):
                creds[name] = pw
        return creds


@pytest.fixture(scope="session")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    data_dir = tmp_path_factory.mktemp("product")
    app_port, rasa_port = free_port(), free_port()
    secret = "e2e-secret"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRSTLINE_") and k != "DATABASE_URL"}
    env.update(FIRSTLINE_DATA_DIR=str(data_dir), FIRSTLINE_APP_PORT=str(app_port), FIRSTLINE_RASA_PORT=str(rasa_port),
               FIRSTLINE_MODEL_DIR=str(ROOT / "var" / "models"), FIRSTLINE_SECRET_KEY=secret, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "firstline.cli", "run"], cwd=ROOT, env=env, text=True,
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
    deadline = time.monotonic() + START_TIMEOUT
    while not ready.is_set() and proc.poll() is None and time.monotonic() < deadline:
        ready.wait(1.0)
    if not ready.is_set():
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        logs = "".join((data_dir / "logs" / f).read_text()[-3000:] for f in ("app.log", "rasa.log")
                       if (data_dir / "logs" / f).exists())
        pytest.fail("firstline run did not become ready:\n" + "".join(output[-60:]) + logs)
    product = Product(f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{rasa_port}", data_dir, output, secret)
    yield product
    # Ctrl-C must stop both processes cleanly.
    os.killpg(proc.pid, signal.SIGINT)
    code = proc.wait(timeout=60)
    reader.join(timeout=10)
    assert proc.stdout is not None
    proc.stdout.close()
    assert code == 0, "".join(output[-30:])
    assert "[firstline] stopped\n" in output
    for port in (app_port, rasa_port):
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
