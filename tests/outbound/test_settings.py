from __future__ import annotations

import pytest

from outbound import OutboundSettings, SmtpMailer, WebhookSender, admin_webhook_from, mailer_from, sms_webhook_from


def test_outbound_settings_default_has_no_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SMTP_HOST", "SMS_WEBHOOK_URL", "ADMIN_WEBHOOK_URL"):
        monkeypatch.delenv(f"FIRSTLINE_OUTBOUND_{name}", raising=False)
    settings = OutboundSettings(_env_file=None)  # type: ignore[call-arg]
    assert settings.smtp_port == 25
    assert mailer_from(settings) is None
    assert admin_webhook_from(settings) is None
    assert sms_webhook_from(settings) is None


def test_outbound_settings_reads_env_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRSTLINE_OUTBOUND_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("FIRSTLINE_OUTBOUND_SMTP_PORT", "2525")
    monkeypatch.setenv("FIRSTLINE_OUTBOUND_SMTP_SENDER", "help@acme.test")
    monkeypatch.setenv("FIRSTLINE_OUTBOUND_ADMIN_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    monkeypatch.setenv("FIRSTLINE_OUTBOUND_ADMIN_WEBHOOK_SECRET", "zq-secret-9")
    settings = OutboundSettings()
    mailer = mailer_from(settings)
    assert isinstance(mailer, SmtpMailer) and (mailer.host, mailer.port, mailer.sender) == (
        "127.0.0.1",
        2525,
        "help@acme.test",
    )
    hook = admin_webhook_from(settings)
    assert isinstance(hook, WebhookSender) and hook.url == "http://127.0.0.1:9/hook"
    assert "zq-secret-9" not in repr(settings)  # secrets stay out of logs


def test_outbound_settings_webhook_without_secret_fails_loudly() -> None:
    settings = OutboundSettings(_env_file=None, sms_webhook_url="http://127.0.0.1:9/sms")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="SECRET"):
        sms_webhook_from(settings)
