"""Servers a destructive test starts for itself on its own port (never the machine's shared ones)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from firstline.launch import free_port


class RedisServer:
    """A throw-away redis-server on a free port: start, kill -9, start again on the same port."""

    def __init__(self, workdir: Path) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            pytest.skip("redis-server is not installed: this fault test starts its own")
        self.exe = exe
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen([self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.workdir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


class PostgresCluster:
    """A throw-away PostgreSQL cluster (initdb + pg_ctl) on a free port with its data under tmp."""

    def __init__(self) -> None:
        import glob
        import os
        import tempfile

        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins:
            pytest.skip("PostgreSQL server binaries are not installed: this fault test starts its own cluster")
        self.bin = Path(bins[-1])
        self.port = free_port()
        # its own folder, not pytest's (0700, root's): the server runs as the postgres user
        workdir = self.workdir = Path(tempfile.mkdtemp(prefix="firstline-pg-"))
        self.data = workdir / "pgdata"
        self.sock = workdir / "pgsock"
        self.log = workdir / "pg.log"
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            self.as_user = ["runuser", "-u", "postgres", "--"]
            workdir.chmod(0o777)
        self.sock.mkdir()
        self.sock.chmod(0o777)
        self._run(["initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"])

    def _run(self, cmd: list[str], check: bool = True) -> None:
        subprocess.run([*self.as_user, str(self.bin / cmd[0]), *cmd[1:]], check=check, stdout=subprocess.DEVNULL,
                       stderr=subprocess.STDOUT)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(["pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w", "-t", "60", "start"])

    def stop(self, check: bool = True) -> None:
        """Stop at once (connections are cut; new ones are refused until start())."""
        self._run(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"], check=check)

    def remove(self) -> None:
        """Stop if running and delete the cluster's folder."""
        self.stop(check=False)
        shutil.rmtree(self.workdir, ignore_errors=True)
