"""The outcome of one outbound message, after all its attempts."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Delivery"]


@dataclass
class Delivery:
    """What happened to one message: delivered or not, where, after how many attempts, and why not."""

    ok: bool
    channel: str  # "email" | "webhook"
    target: str  # the address or URL it went to
    attempts: int
    error: str | None
    status_code: int | None = None  # the last HTTP status (webhooks) or SMTP reply code, when there was one
