"""Settings of the web edge (env prefix FIRSTLINE_WEB_): site origins and rate limits."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["WebSettings", "origin_of"]


class WebSettings(BaseSettings):
    """Read once per app (create_app); limits use the `limits` syntax: "30/minute;500/hour"."""

    model_config = SettingsConfigDict(env_prefix="FIRSTLINE_WEB_", env_file=".env", extra="ignore")

    # Comma-separated origins of the sites that embed the widget (https://www.example.com). The app's
    # own public URL is always allowed; the console accepts only that (and its own host).
    site_origins: str = ""
    rate_limits_enabled: bool = True
    # Where budgets are counted: empty means the desk's Redis when REDIS_URL is set (one budget across
    # every worker, as production mode runs), else this process's memory. memory:// or redis://… force one.
    rate_limit_storage: str = ""
    # Generous for people, tight for scripts: a person logs in a few times an hour, starts one chat per
    # visit and cannot type a message every two seconds for a minute; an office behind one address
    # shares the per-address budgets.
    rate_login_per_ip: str = "20/minute;200/hour"
    rate_start_per_ip: str = "60/minute;1000/hour"
    rate_message_per_ip: str = "300/minute"
    rate_message_per_conversation: str = "30/minute"
    # How long (ms) a thread may hold the interpreter before one waiting for it gets a turn. A customer
    # turn runs in a worker thread and waits on Rasa, the database and the encoder many times; at
    # Python's 5 ms each return from a wait can queue behind a busy thread for the whole interval.
    # 1 ms cut the turn p95 under 200 customers by a fifth to two fifths (README, Operations).
    gil_switch_ms: float = Field(1.0, gt=0, le=100)

    def origins(self, public_url: str) -> set[str]:
        """Return the allowed browser origins for the customer channel."""
        given = {origin_of(o) for o in self.site_origins.split(",") if o.strip()}
        return {origin_of(public_url), *given}


def origin_of(url: str) -> str:
    """Return scheme://host[:port] of a URL, lower-cased, as browsers send it in Origin."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"
