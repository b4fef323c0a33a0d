"""Surge detection settings (env prefix FIRSTLINE_SURGE_); each is documented in the README."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class SurgeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIRSTLINE_SURGE_", extra="ignore")

    enabled: bool = True
    window_minutes: int = 10  # the sliding window volume is counted over
    bucket_seconds: int = 60  # the window moves (and alerts update or clear) in steps this long
    min_count: int = 10  # never a surge below this many in a window, whatever the baseline
    min_conversations: int = 5  # ...nor with fewer distinct conversations (one customer typing 40 times)
    ratio: float = 3.0  # at least this many times the baseline
    sigmas: float = 4.0  # and this many deviations above it
    clear_ratio: float = 0.5  # an intent stops driving the alert below this share of its threshold
    baseline_days: int = 14  # the same time of day over this many past days
    baseline_refresh_minutes: int = 5  # how often the baseline is re-read from the database
    topic_memory_minutes: int = 60  # how long a conversation's topic is remembered for its handoff
    samples: int = 3  # sample messages named per intent
    ignored_intents: list[str] = ["greet", "goodbye", "thanks", "affirm", "deny", "bot_challenge"]
    tick_seconds: float = 20.0  # how often the app re-checks when no messages arrive
