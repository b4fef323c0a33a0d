"""Production mode (`firstline run --production`): several app workers and Rasa servers on PostgreSQL + Redis.

- The app runs as N uvicorn workers (FIRSTLINE_RUN_APP_WORKERS, default 2) under uvicorn's own
  process manager, which replaces a worker that dies, so no further dependency (gunicorn would do
  the same with one more package). Each worker listens on its own SO_REUSEPORT socket, so the
  kernel spreads connections evenly (firstline/app_workers.py says why).
- Rasa runs as FIRSTLINE_RUN_RASA_SERVERS servers (default 2) on consecutive ports from
  FIRSTLINE_RASA_PORT, with the SQL tracker store in PostgreSQL and the lock store in Redis, so any
  server can carry any conversation and two messages of one conversation never race. The app sends
  each conversation to one of them by a stable hash of its id (bot/rasa_pool.py).
- Live events cross workers through Redis (core/redis_bus.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.settings import CoreSettings
from firstline import rasa_project
from firstline.service import Service


class ProductionError(RuntimeError):
    """Production mode cannot start; the message says what to set."""


class RunSettings(BaseSettings):
    """How many processes production mode runs (env prefix FIRSTLINE_RUN_)."""

    model_config = SettingsConfigDict(env_prefix="FIRSTLINE_RUN_", extra="ignore")

    app_workers: int = Field(2, ge=1, le=64)
    rasa_servers: int = Field(2, ge=1, le=16)


def check(settings: CoreSettings) -> RunSettings:
    """Return the run settings, or raise ProductionError naming what is missing or unreachable."""
    problems: list[str] = []
    if not settings.database_url.startswith(("postgresql", "postgres://")):
        problems.append("DATABASE_URL must point at PostgreSQL (postgresql://user:password@host:5432/db); "
                        "SQLite cannot be shared by several workers")
    if not settings.redis_url:
        problems.append("REDIS_URL must be set (redis://host:6379/0): live events cross workers through it "
                        "and Rasa locks conversations in it")
    try:
        CoreSettings(_env_file=None, **{**settings.model_dump(), "mode": "production",  # type: ignore[call-arg]
                                        "secret_key": _explicit_secret()})
    except ValidationError:
        problems.append("FIRSTLINE_SECRET_KEY must be set to a real secret (for example the output of "
                        "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
    if problems:
        raise ProductionError("; ".join(problems))
    _reachable(settings)
    return RunSettings()


def _explicit_secret() -> str:
    """The secret the operator set (environment or .env), not the local mode's generated one."""
    import os

    from dotenv import dotenv_values

    value = os.environ.get("FIRSTLINE_SECRET_KEY") or dotenv_values(".env").get("FIRSTLINE_SECRET_KEY") or ""
    return value if len(value) >= 16 else ""


def _reachable(settings: CoreSettings) -> None:
    import psycopg
    import redis

    from core.db import normalise_url

    url = normalise_url(settings.database_url).replace("postgresql+psycopg://", "postgresql://")
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        raise ProductionError(f"PostgreSQL at DATABASE_URL is unreachable: {exc}".strip()) from exc
    try:
        redis.Redis.from_url(settings.redis_url, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        raise ProductionError(f"Redis at REDIS_URL is unreachable: {exc}") from exc


def rasa_ports(settings: CoreSettings, run: RunSettings) -> list[int]:
    return [settings.rasa_port + i for i in range(run.rasa_servers)]


def production_services(settings: CoreSettings, run: RunSettings, model: Path, logs: Path) -> list[Service]:
    """uvicorn with several workers, then the Rasa servers (the first starts with the app, the rest after it)."""
    from firstline.supervisor import base_env

    endpoints = rasa_project.write_endpoints(settings)
    run_dir = settings.data_dir / "run"
    ports = rasa_ports(settings, run)
    env = base_env(settings)
    env.update(FIRSTLINE_MODE="production", DATABASE_URL=settings.database_url, REDIS_URL=settings.redis_url,
               FIRSTLINE_SECRET_KEY=settings.secret_key,
               FIRSTLINE_RASA_URL=",".join(f"http://127.0.0.1:{p}" for p in ports))
    app_cmd = [sys.executable, "-m", "firstline.app_workers", "--factory", "web.main:create",
               "--host", settings.app_host, "--port", str(settings.app_port), "--workers", str(run.app_workers),
               "--log-level", "warning", "--ws-max-size", "65536"]
    base = f"http://{settings.app_host}:{settings.app_port}"
    services = [Service("app", app_cmd, env, f"{base}/health", logs, run_dir, start_timeout=300)]
    for i, port in enumerate(ports, start=1):
        rasa_settings = settings.model_copy(update={"rasa_port": port})
        services.append(Service(f"rasa-{i}", rasa_project.rasa_command(rasa_settings, model, endpoints),
                                rasa_project.rasa_env(), f"http://127.0.0.1:{port}/", logs, run_dir,
                                start_timeout=300, start_after=None if i == 1 else "rasa-1"))
    return services


__all__ = ["ProductionError", "RunSettings", "check", "production_services", "rasa_ports"]
