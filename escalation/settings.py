"""Escalation settings (env prefix FIRSTLINE_ESCALATION_); each threshold is documented in the README."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class EscalationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIRSTLINE_ESCALATION_", extra="ignore")

    very_low_confidence: float = 0.15  # one turn this unsure hands off
    low_confidence: float = 0.45  # two turns in a row this unsure hand off
    negative_sentiment: float = -0.6  # compound at or below this hands off
    frustration: float = 0.75  # frustration score (VADER + support-chat signals) at or above this
    sentiment_drop: float = 0.6  # fall against the conversation's own mean so far
    rephrase_similarity: float = 0.82  # cosine of a repeat/rephrase of an earlier question
    sensitive_intents: list[str] = ["cancel_service", "complaint"]
    sensitive_confidence: float = 0.6
    language: str = "en"  # the chat's language, matched against agents' languages
    vip_handoff: bool = False  # VIP customers go to a person at their first real question
    open_case_handoff: bool = False  # asking about an open case goes to a person (the bot can report status)
    wait_limit_seconds: int = 900  # longer expected wait: open a case with a promised call-back instead
    seconds_per_queued_chat: int = 180  # handling time per chat ahead, until handoffs show the real pace
    pace_lookback_minutes: int = 60  # the real pace: from handoffs accepted this recently...
    pace_min_samples: int = 3  # ...once there are this many of them
    follow_up_margin_minutes: int = 30  # after the next opening hour, the promised follow-up time
