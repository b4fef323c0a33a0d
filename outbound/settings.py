"""Outbound settings (env prefix FIRSTLINE_OUTBOUND_) and the senders they configure."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from outbound.email import SmtpMailer
from outbound.webhook import WebhookSender

__all__ = ["OutboundSettings", "admin_webhook_from", "mailer_from", "sms_webhook_from"]


class OutboundSettings(BaseSettings):
    """Where email and webhooks go. Unset host/URL means that channel is off (the sender is None)."""

    model_config = SettingsConfigDict(env_prefix="FIRSTLINE_OUTBOUND_", extra="ignore")

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "Firstline <no-reply@localhost>"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    sms_webhook_url: str | None = None  # a gateway that turns {"to", "text"} into an SMS
    sms_webhook_secret: SecretStr | None = None
    admin_webhook_url: str | None = None  # team-lead alerts and other admin events
    admin_webhook_secret: SecretStr | None = None


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def mailer_from(settings: OutboundSettings) -> SmtpMailer | None:
    """The configured SMTP mailer, or None when no SMTP host is set."""
    if not settings.smtp_host:
        return None
    return SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_sender,
        username=settings.smtp_username,
        password=_secret(settings.smtp_password),
        starttls=settings.smtp_starttls,
    )


def _webhook(url: str | None, secret: SecretStr | None, name: str) -> WebhookSender | None:
    if not url:
        return None
    key = _secret(secret)
    if not key:
        # An unsigned webhook would let anyone forge our events at the receiver: refuse loudly.
        raise ValueError(f"FIRSTLINE_OUTBOUND_{name}_WEBHOOK_URL is set but its _SECRET is not")
    return WebhookSender(url, key)


def admin_webhook_from(settings: OutboundSettings) -> WebhookSender | None:
    """The configured admin webhook, or None when no URL is set."""
    return _webhook(settings.admin_webhook_url, settings.admin_webhook_secret, "ADMIN")


def sms_webhook_from(settings: OutboundSettings) -> WebhookSender | None:
    """The configured SMS gateway webhook, or None when no URL is set."""
    return _webhook(settings.sms_webhook_url, settings.sms_webhook_secret, "SMS")
