"""Tables of the interaction history: customers, identities, agents, conversations, messages, cases."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow


def new_id() -> str:
    return uuid.uuid4().hex


class ConversationStatus:
    """The single truth of who owns a conversation."""

    PENDING = "pending"  # the bot owns it
    QUEUED = "queued"  # handed off, waiting for a human; the bot is silent
    OPEN = "open"  # a named human owns it
    RESOLVED = "resolved"

    HUMAN_OWNED = (QUEUED, OPEN)
    ALL = (PENDING, QUEUED, OPEN, RESOLVED)


class Sender:
    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"
    NOTE = "note"  # internal agent note, never shown to the customer

    ALL = (CUSTOMER, BOT, AGENT, SYSTEM, NOTE)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(64))
    segment: Mapped[str] = mapped_column(String(32), default="residential")
    vip: Mapped[bool] = mapped_column(Boolean, default=False)
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    identities: Mapped[list[Identity]] = relationship(back_populates="customer", cascade="all, delete-orphan")


class Identity(Base):
    """A way to recognise a customer: an email, phone, account number or external id."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(320))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="identities")


class Agent(Base):
    """A staff member: an agent in the console, or an admin (role)."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="agent")  # agent | admin
    team: Mapped[str | None] = mapped_column(String(64))
    skills: Mapped[list[str]] = mapped_column(default=list)
    languages: Mapped[list[str]] = mapped_column(default=list)
    capacity: Mapped[int] = mapped_column(Integer, default=3)
    status: Mapped[str] = mapped_column(String(16), default="offline")  # online | away | offline
    working_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # issue 14: a deactivated account cannot log in


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_status_updated", "status", "updated_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ConversationStatus.PENDING)
    channel: Mapped[str] = mapped_column(String(32), default="widget")
    assigned_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    handoff_reason: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    # Place in the console queue, higher first: urgency and reach of a public post (0 for chats).
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Bumped on every ownership change, so a stale accept or transfer loses atomically.
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship()
    assigned_agent: Mapped[Agent | None] = relationship()


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "client_id"),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        Index("ix_messages_created_at", "created_at"),  # the surge baseline counts by time
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    sender: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    # The customer's retry key: a re-sent message is recorded once.
    client_id: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    # Customer messages: the NLU parse. Bot messages: buttons, article, retrieval scores.
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    sentiment: Mapped[float | None] = mapped_column(Float)
    entities: Mapped[list[Any]] = mapped_column(default=list)
    parse: Mapped[dict[str, Any]] = mapped_column(default=dict)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Case(Base):
    """A promise to the customer: tracked until it is kept."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    notes: Mapped[str] = mapped_column(Text, default="")
    promised_by: Mapped[datetime | None] = mapped_column()
    contact_method: Mapped[str | None] = mapped_column(String(32))
    assigned_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Follow-up of the promise (issue 10): assigned_agent_id owns it, promised_by is due, contact_method
    # the customer's route. promise_text is written for the customer; notes above stay internal.
    promise_kind: Mapped[str | None] = mapped_column(String(32))  # after_hours | agent | technician
    promise_text: Mapped[str | None] = mapped_column(Text)
    promised_at: Mapped[datetime | None] = mapped_column()  # a person's update after this keeps the promise
    promise_version: Mapped[int] = mapped_column(Integer, default=0)  # bumped on every new promise
    followup_stage: Mapped[str] = mapped_column(String(16), default="")  # "" | promised | reminded | due_done


class Handoff(Base):
    """One handoff of a conversation to humans: the reason and the packet the agent sees."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    packet: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(index=True)  # pace: acceptances in a window
    # Chats the customer was promised to wait behind (0 = a free seat): time to accept / this = pace.
    queued_behind: Mapped[int | None] = mapped_column(Integer)


class EventRecord(Base):
    """The audit trail of domain events, for monitoring and the gaps report."""

    __tablename__ = "event_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(32), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Indexes for the experience dashboard (issue 11, migration 0005): each figure reads a date range from
# an index holding the columns it needs. The migration also adds ix_messages_kind_created on
# meta's "kind", an expression each database spells its own way.
Index("ix_conversations_created", Conversation.created_at, Conversation.rating, Conversation.id)
Index("ix_messages_sender_created", Message.sender, Message.created_at, Message.intent, Message.sentiment)
Index("ix_messages_conversation_sender", Message.conversation_id, Message.sender, Message.created_at)
Index("ix_handoffs_created", Handoff.created_at, Handoff.trigger)
