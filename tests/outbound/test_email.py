from __future__ import annotations

import pytest

from firstline.launch import free_port
from outbound import EmailMessage, SmtpMailer
from tests.outbound.servers import smtp_sink


def test_smtp_mailer_send_delivers_to_real_server() -> None:
    with smtp_sink() as sink:
        mailer = SmtpMailer(sink.host, sink.port, "Firstline <help@acme.test>")
        delivery = mailer.send(EmailMessage("jordan.lee@example.com", "Your code", "Your code is 123456.\nÅ ok"))
        received = sink.wait_for(1)[0]

    assert (delivery.ok, delivery.channel, delivery.target, delivery.attempts, delivery.error) == (
        True,
        "email",
        "jordan.lee@example.com",
        1,
        None,
    )
    assert received.rcpt_tos == ["jordan.lee@example.com"]
    assert received.mail_from == "help@acme.test"
    msg = received.message
    assert msg["To"] == "jordan.lee@example.com"
    assert msg["Subject"] == "Your code"
    assert msg["From"] == "Firstline <help@acme.test>"
    assert msg["Message-ID"] and msg["Date"]
    assert msg.get_content().replace("\r\n", "\n") == "Your code is 123456.\nÅ ok\n"  # CRLF on the wire


def test_smtp_mailer_send_retries_temporary_failure() -> None:
    sleeps: list[float] = []
    with smtp_sink() as sink:
        sink.temporary_failures = 1
        delivery = SmtpMailer(sink.host, sink.port, "a@b.test", sleep=sleeps.append).send(
            EmailMessage("x@y.test", "s", "t")
        )
        assert len(sink.wait_for(1)) == 1
    assert delivery.ok and delivery.attempts == 2 and sleeps == [0.5]


def test_smtp_mailer_send_gives_up_on_persistent_temporary_failure() -> None:
    sleeps: list[float] = []
    with smtp_sink() as sink:
        sink.temporary_failures = 10
        delivery = SmtpMailer(sink.host, sink.port, "a@b.test", attempts=3, sleep=sleeps.append).send(
            EmailMessage("x@y.test", "s", "t")
        )
    assert (delivery.ok, delivery.attempts, delivery.status_code) == (False, 3, 451)
    assert delivery.error is not None and delivery.error.startswith("SMTP 451")
    assert sleeps == [0.5, 1.0] and sink.messages == []


def test_smtp_mailer_send_to_closed_port_is_a_failed_delivery() -> None:
    sleeps: list[float] = []
    delivery = SmtpMailer("127.0.0.1", free_port(), "a@b.test", attempts=2, timeout=2, sleep=sleeps.append).send(
        EmailMessage("x@y.test", "s", "t")
    )
    assert not delivery.ok and delivery.attempts == 2 and "ConnectionRefused" in (delivery.error or "")
    assert sleeps == [0.5]


@pytest.mark.parametrize(
    ("to", "subject"),
    [
        ("x@y.test\r\nBcc: victim@z.test", "s"),
        ("x@y.test", "hello\nBcc: victim@z.test"),
        ("x@y.test", "hello\rX: y"),
        ("", "s"),
        ("no-at-sign", "s"),
        ("a@b.test, c@d.test", "s"),
        ("Name <a@b.test>", "s"),
        ("a" * 300 + "@b.test", "s"),
    ],
)
def test_smtp_mailer_send_refuses_header_injection_and_odd_recipients(to: str, subject: str) -> None:
    with smtp_sink() as sink:
        delivery = SmtpMailer(sink.host, sink.port, "a@b.test", sleep=lambda s: None).send(
            EmailMessage(to, subject, "t")
        )
    assert not delivery.ok and delivery.attempts == 0
    assert delivery.error is not None and delivery.error.startswith("refused")
    assert sink.messages == []


def test_smtp_mailer_refuses_sender_with_line_break() -> None:
    with pytest.raises(ValueError):
        SmtpMailer("127.0.0.1", 25, "a@b.test\r\nBcc: x@y.test")
