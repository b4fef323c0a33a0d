"""Tables of the agents' workspace (issue 14): tenant settings, canned replies, read marks,
suggestion outcomes and dismissed gaps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow

__all__ = ["AssistSuggestion", "CannedReply", "ConversationRead", "GapDismissal", "TenantSetting"]


class TenantSetting(Base):
    """One admin-editable setting (widget greeting, colours, business hours, time zone)."""

    __tablename__ = "tenant_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CannedReply(Base):
    """A saved answer: personal (owner) or shared with a team; the body may hold {first_name} etc."""

    __tablename__ = "canned_replies"
    __table_args__ = (Index("ix_canned_replies_owner_team", "owner_id", "team"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))  # None: team reply
    team: Mapped[str | None] = mapped_column(String(64))
    shortcut: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ConversationRead(Base):
    """How far an agent has read a conversation: the unread count is the customer messages after it."""

    __tablename__ = "conversation_reads"
    __table_args__ = (UniqueConstraint("agent_id", "conversation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    last_message_id: Mapped[int] = mapped_column(Integer, default=0)


class AssistSuggestion(Base):
    """A suggestion shown to an agent and what became of it: the knowledge base learns what agents send."""

    __tablename__ = "assist_suggestions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(Integer)  # the customer question it answers
    source: Mapped[str] = mapped_column(String(16))  # kb | canned
    article_id: Mapped[str | None] = mapped_column(String(80))
    canned_id: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(16), default="shown")  # shown | used | ignored
    sent_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()


class GapDismissal(Base):
    """A gaps-report cluster an admin dismissed (not a knowledge gap), by its key."""

    __tablename__ = "gap_dismissals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(Text, default="")
    dismissed_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
