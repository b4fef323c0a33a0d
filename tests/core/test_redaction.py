from __future__ import annotations

import logging

import pytest

from core.redaction import install_log_redaction, luhn_ok, redact


@pytest.mark.parametrize(("text", "expected"), [
    ("my card is 4111 1111 1111 1111 thanks", "my card is [card] thanks"),
    ("card 4111-1111-1111-1111", "card [card]"),
    ("amex 378282246310005.", "amex [card]."),
    ("mail me at jordan.lee+tv@example.co.uk!", "mail me at [email]!"),
    ("call +44 20 7946 0958 or 07700 900123", "call [phone] or [phone]"),
    ("US (555) 123-4567 ok", "US [phone] ok"),
])
def test_redact_masks_cards_emails_and_phones(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "order 12345 and case CS-10423",
    "promised by 2026-12-03 07:30",
    "client 192.168.100.200:5432 connected",
    "conversation 5f622aee1af64a2896098e163ce77ca7",
    "router model TW-4000, £45.99 a month",
])
def test_redact_keeps_text_without_personal_data(text: str) -> None:
    assert redact(text) == text


def test_redact_leaves_a_long_number_that_fails_luhn_to_the_phone_rule() -> None:
    assert not luhn_ok("4111111111111112")
    assert redact("ref 4111111111111112") == "ref 4111111111111112"  # 16 digits: neither card nor phone
    assert luhn_ok("4111111111111111") and luhn_ok("378282246310005")


def test_log_records_are_redacted_once_installed(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    install_log_redaction()  # idempotent
    log = logging.getLogger("tests.redaction")
    with caplog.at_level(logging.INFO, logger="tests.redaction"):
        log.info("customer %s paid with %s", "ana@example.com", "4111 1111 1111 1111")
        log.info("phone +44 20 7946 0958 for %(who)s", {"who": "bob@example.org"})
        try:
            raise ValueError("bad email ana@example.com")
        except ValueError:
            log.exception("failed for 07700 900123")
    text = caplog.text
    assert "ana@example.com" not in text and "4111" not in text and "7946" not in text and "bob@" not in text
    assert "900123" not in text
    assert "customer [email] paid with [card]" in text and "bad email [email]" in text
