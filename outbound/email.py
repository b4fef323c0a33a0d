"""Email over SMTP with the standard library, retried on temporary failures."""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, make_msgid

from outbound.delivery import Delivery

__all__ = ["EmailMessage", "SmtpMailer"]

_MAX_ADDRESS = 254  # RFC 5321's limit on a forward path
_MAX_SUBJECT = 998  # RFC 5322's line limit


@dataclass(frozen=True)
class EmailMessage:
    """One plain-text email to one recipient."""

    to: str
    subject: str
    text: str


def _problem(msg: EmailMessage) -> str | None:
    """Why this message must not be sent (header injection, not one plain address), or None."""
    for name, value in (("to", msg.to), ("subject", msg.subject)):
        if "\r" in value or "\n" in value:
            return f"refused: line break in {name}"
    if not msg.to or len(msg.to) > _MAX_ADDRESS:
        return "refused: recipient address is empty or too long"
    if len(msg.subject) > _MAX_SUBJECT:
        return "refused: subject is too long"
    local, at, domain = msg.to.rpartition("@")
    if not at or not local or not domain or any(c in msg.to for c in " ,;<>\"()\t"):
        return "refused: recipient is not one plain address"
    return None


class SmtpMailer:
    """Send EmailMessages through one SMTP server (optionally STARTTLS and login).

    Connection problems and 4xx replies are retried with doubling backoff; 5xx replies are final.
    """

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
        attempts: int = 3,
        backoff_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        if "\r" in sender or "\n" in sender:
            raise ValueError("sender must not contain line breaks")
        self.host = host
        self.port = port
        self.sender = sender
        self._username = username
        self._password = password
        self.starttls = starttls
        self.timeout = timeout
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self._sleep = sleep

    def _mime(self, msg: EmailMessage) -> MimeMessage:
        mime = MimeMessage()
        mime["From"] = self.sender
        mime["To"] = Address(addr_spec=msg.to)
        mime["Subject"] = msg.subject
        mime["Date"] = formatdate(localtime=False, usegmt=True)
        mime["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2].strip(">") or None)
        mime.set_content(msg.text)
        return mime

    def _send_once(self, mime: MimeMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self._username:
                smtp.login(self._username, self._password or "")
            smtp.send_message(mime)

    def send(self, msg: EmailMessage) -> Delivery:
        """Deliver one message; return what happened (never raises for a failed delivery)."""
        problem = _problem(msg)
        if problem:
            return Delivery(False, "email", msg.to[:_MAX_ADDRESS], 0, problem)
        try:
            mime = self._mime(msg)
        except (ValueError, TypeError) as exc:
            return Delivery(False, "email", msg.to, 0, f"refused: {exc}")
        error: str | None = None
        code: int | None = None
        attempt = 0
        for attempt in range(1, self.attempts + 1):
            try:
                self._send_once(mime)
                return Delivery(True, "email", msg.to, attempt, None, 250)
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [c for c, _ in exc.recipients.values()]
                code = codes[0] if codes else None
                error = f"recipient refused: {exc.recipients}"
                if code is None or code >= 500:
                    return Delivery(False, "email", msg.to, attempt, error, code)
            except smtplib.SMTPResponseException as exc:
                code = exc.smtp_code
                raw = exc.smtp_error
                text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
                error = f"SMTP {code}: {text}"
                if code >= 500:
                    return Delivery(False, "email", msg.to, attempt, error, code)
            except (smtplib.SMTPException, OSError) as exc:  # OSError covers refused connections and timeouts
                code, error = None, f"{exc.__class__.__name__}: {exc}"
            if attempt < self.attempts:
                self._sleep(self.backoff_seconds * 2 ** (attempt - 1))
        return Delivery(False, "email", msg.to, attempt, error, code)
