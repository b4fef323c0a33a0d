"""The surge notice: what admins want every customer told during an outage, before they have to ask.

Stored as plain text (never HTML: every page and the widget render it as text), written and cleared
by named admins with the time, and said by the bot once per conversation.
"""

from __future__ import annotations

import threading
import time
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from crm import Message, Sender, store
from insights.models import SurgeNotice

MAX_NOTICE_CHARS = 500
NOTICE_KIND = "surge_notice"


class NoticeError(ValueError):
    """The notice text is refused (empty, too long); the message says why."""


def clean_notice(text: str) -> str:
    """Return the text as one tidy paragraph of plain text, or raise NoticeError."""
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc" or ch == "\n")
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if not text:
        raise NoticeError("the notice is empty")
    if len(text) > MAX_NOTICE_CHARS:
        raise NoticeError(f"the notice is longer than {MAX_NOTICE_CHARS} characters ({len(text)})")
    return text


def active_notice(session: Session) -> SurgeNotice | None:
    return session.scalar(select(SurgeNotice).where(SurgeNotice.cleared_at.is_(None))
                          .order_by(SurgeNotice.id.desc()).limit(1))


def set_notice(session: Session, text: str, by: str) -> SurgeNotice:
    """Replace the active notice with text (the old one is recorded as cleared by the same admin)."""
    clean = clean_notice(text)
    clear_notice(session, by)
    notice = SurgeNotice(text=clean, created_by=by, created_at=utcnow())
    session.add(notice)
    session.flush()
    store.record_event(session, "notice.changed", None, {"notice_id": notice.id, "by": by, "action": "set"})
    return notice


def clear_notice(session: Session, by: str) -> bool:
    """Clear the active notice; return whether there was one."""
    notice = active_notice(session)
    if notice is None:
        return False
    notice.cleared_by, notice.cleared_at = by, utcnow()
    store.record_event(session, "notice.changed", None, {"notice_id": notice.id, "by": by, "action": "cleared"})
    return True


def notice_history(session: Session, limit: int = 20) -> list[SurgeNotice]:
    return list(session.scalars(select(SurgeNotice).order_by(SurgeNotice.id.desc()).limit(limit)))


@dataclass(frozen=True)
class _Cached:
    notice_id: int | None
    text: str
    read_at: float


class NoticeBoard:
    """What the conversation loop asks before the bot answers: is there a notice this customer hasn't heard?

    The active notice is cached for a few seconds (it changes rarely; the loop asks on every turn);
    `forget()` drops the cache at once when an admin changes it in this process.
    """

    def __init__(self, ttl_seconds: float = 5.0) -> None:
        self.ttl = ttl_seconds
        self._cached: _Cached | None = None
        self._lock = threading.Lock()

    def forget(self) -> None:
        with self._lock:
            self._cached = None

    def _current(self, session: Session) -> _Cached:
        with self._lock:
            cached = self._cached
        if cached is None or time.monotonic() - cached.read_at > self.ttl:
            n = active_notice(session)
            cached = _Cached(n.id if n else None, n.text if n else "", time.monotonic())
            with self._lock:
                self._cached = cached
        return cached

    def say_if_due(self, session: Session, conversation_id: str) -> Message | None:
        """Record the active notice as a bot message in this conversation unless it was said there already."""
        current = self._current(session)
        if current.notice_id is None:
            return None
        said = session.scalars(select(Message.meta).where(Message.conversation_id == conversation_id,
                                                         Message.sender == Sender.BOT))
        if any((m or {}).get("kind") == NOTICE_KIND and (m or {}).get("notice_id") == current.notice_id
               for m in said):
            return None
        conv = store.get_conversation(session, conversation_id)
        msg, _ = store.add_message(session, conv, Sender.BOT, current.text,
                                   meta={"kind": NOTICE_KIND, "notice_id": current.notice_id})
        return msg
