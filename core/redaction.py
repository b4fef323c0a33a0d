"""Personal data out of text that is kept or shown beyond its conversation: logs, reports, embeddings.

Card numbers (13-19 digits that pass the Luhn check), email addresses and phone numbers become
[card], [email] and [phone]. Plain functions; install_log_redaction() applies redact() to every log
record the process creates.
"""

from __future__ import annotations

import logging
import re
from typing import Any

__all__ = ["install_log_redaction", "luhn_ok", "redact"]

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Digits with single spaces or dashes between them; the Luhn check decides whether it is a card.
CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
# An optional +, then 9-15 digits with spaces, dashes or brackets between them. Dots are left out so
# that IP addresses in logs survive; dates are skipped below.
PHONE = re.compile(r"(?<![\w+])(?:\+|\(\+?)?\d[\d ()-]{7,20}\d(?![\w-])")
DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}-\d{2}-\d{4}")


def luhn_ok(digits: str) -> bool:
    """True when a string of digits passes the Luhn checksum (as every payment card number does)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(m: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", m.group())
    return "[card]" if 13 <= len(digits) <= 19 and luhn_ok(digits) else m.group()


def _phone(m: re.Match[str]) -> str:
    text = m.group()
    digits = re.sub(r"\D", "", text)
    if not 9 <= len(digits) <= 15 or DATE_LIKE.search(text):
        return text
    return "[phone]"


def redact(text: str) -> str:
    """Return text with card numbers, email addresses and phone numbers replaced by placeholders."""
    if not text:
        return text
    text = EMAIL.sub("[email]", text)
    text = CARD.sub(_card, text)
    return PHONE.sub(_phone, text)


def _value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, BaseException):  # an exception's text may quote the input that caused it
        return redact(str(value))
    return value


_installed = False


def install_log_redaction() -> None:
    """Redact every log record this process creates, whichever logger or handler it goes to (idempotent).

    A record factory rather than a handler filter: handlers added later (uvicorn's, a library's) and
    records propagated from child loggers are covered too.
    """
    global _installed
    if _installed:
        return
    base = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        # Message and arguments separately: formatters such as uvicorn's access log read the arguments.
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_value(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _value(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:  # tracebacks quote values too
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
