"""Follow-up settings (env prefix FIRSTLINE_FOLLOWUP_)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class FollowUpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIRSTLINE_FOLLOWUP_", extra="ignore")

    enabled: bool = True  # start the scheduler with the app
    run_jobs: bool = True  # false: this worker only stores jobs (another process runs them)
    remind_before_minutes: int = 30  # the owner's console reminder, before the due time
    new_time_minutes: int = 120  # after a missed promise, the new time is this far ahead (in the lead's hours)
    retry_delays_seconds: list[int] = [60, 300, 1800]  # a failed customer delivery is retried after these
    email_subject: str = "An update on your case {number}"
