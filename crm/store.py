"""Plain functions over a Session that record and read the interaction history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, cast, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import utcnow
from crm.models import (
    Agent,
    Case,
    Conversation,
    ConversationStatus,
    Customer,
    EventRecord,
    Identity,
    Message,
    Sender,
)


class NotFound(LookupError):
    """The named row does not exist (or is not visible to the caller)."""


def find_customer(session: Session, kind: str, value: str) -> Customer | None:
    """Return the customer recognised by an identity (external id, email, phone, account number)."""
    if kind == "external_id":
        return session.scalar(select(Customer).where(Customer.external_id == value))
    ident = session.scalar(select(Identity).where(Identity.kind == kind, Identity.value == value))
    return ident.customer if ident else None


def get_or_create_customer(session: Session, external_id: str | None = None, **fields: Any) -> Customer:
    """Return the customer with external_id, creating it (or an anonymous one) when absent."""
    if external_id:
        existing = find_customer(session, "external_id", external_id)
        if existing is not None:
            return existing
    customer = Customer(external_id=external_id, **fields)
    session.add(customer)
    session.flush()
    return customer


def add_identity(session: Session, customer: Customer, kind: str, value: str, verified: bool = False) -> None:
    """Attach an identity to a customer unless it is already known."""
    exists = session.scalar(select(Identity).where(Identity.kind == kind, Identity.value == value))
    if exists is None:
        session.add(Identity(customer_id=customer.id, kind=kind, value=value, verified=verified))
        session.flush()


def start_conversation(session: Session, customer: Customer, channel: str = "widget") -> Conversation:
    """Open a new conversation owned by the bot."""
    conv = Conversation(customer_id=customer.id, channel=channel, status=ConversationStatus.PENDING)
    session.add(conv)
    session.flush()
    return conv


def get_conversation(session: Session, conversation_id: str) -> Conversation:
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise NotFound(f"conversation {conversation_id} not found")
    return conv


def add_message(
    session: Session,
    conversation: Conversation,
    sender: str,
    text: str,
    *,
    client_id: str | None = None,
    agent_id: int | None = None,
    parse: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
) -> tuple[Message, bool]:
    """Record a message; return it and whether it is new (a retried client_id returns the first)."""
    if sender not in Sender.ALL:
        raise ValueError(f"unknown sender {sender!r}")
    if client_id:
        prior = session.scalar(
            select(Message).where(Message.conversation_id == conversation.id, Message.client_id == client_id)
        )
        if prior is not None:
            return prior, False
    parse = parse or {}
    intent = parse.get("intent") or {}
    sentiment = parse.get("sentiment") or {}
    msg = Message(
        conversation_id=conversation.id,
        sender=sender,
        text=text,
        client_id=client_id,
        agent_id=agent_id,
        intent=intent.get("name"),
        confidence=intent.get("confidence"),
        sentiment=sentiment.get("compound"),
        entities=list(parse.get("entities") or []),
        parse=parse,
        meta=meta or {},
    )
    try:
        with session.begin_nested():
            session.add(msg)
            session.flush()
    except IntegrityError:  # a concurrent retry of the same client_id won the race
        prior = session.scalar(
            select(Message).where(Message.conversation_id == conversation.id, Message.client_id == client_id)
        )
        if prior is None:
            raise
        return prior, False
    conversation.updated_at = utcnow()
    return msg, True


def list_messages(
    session: Session, conversation_id: str, *, after_id: int = 0, include_notes: bool = False
) -> Sequence[Message]:
    """Return a conversation's messages in order, optionally only those after a message id."""
    q = select(Message).where(Message.conversation_id == conversation_id, Message.id > after_id)
    if not include_notes:
        q = q.where(Message.sender != Sender.NOTE)
    return session.scalars(q.order_by(Message.id)).all()


def set_status(
    session: Session,
    conversation_id: str,
    status: str,
    *,
    expected_version: int | None = None,
    expected_status: Sequence[str] | None = None,
    **fields: Any,
) -> bool:
    """Change who owns a conversation with compare-and-set; return False when someone else won."""
    if status not in ConversationStatus.ALL:
        raise ValueError(f"unknown status {status!r}")
    q = update(Conversation).where(Conversation.id == conversation_id)
    if expected_version is not None:
        q = q.where(Conversation.version == expected_version)
    if expected_status is not None:
        q = q.where(Conversation.status.in_(list(expected_status)))
    q = q.values(status=status, version=Conversation.version + 1, updated_at=utcnow(), **fields)
    result = session.execute(q.execution_options(synchronize_session="fetch"))
    changed = bool(result.rowcount)  # type: ignore[attr-defined]
    if changed:
        conv = session.get(Conversation, conversation_id)
        if conv is not None:
            session.refresh(conv)
    return changed


def customer_history(
    session: Session, customer_id: str, *, exclude: str | None = None, limit: int = 10
) -> dict[str, Any]:
    """Return the customer's earlier conversations (newest first) and their open cases."""
    q = select(Conversation).where(Conversation.customer_id == customer_id)
    if exclude:
        q = q.where(Conversation.id != exclude)
    convs = session.scalars(q.order_by(Conversation.created_at.desc()).limit(limit)).all()
    cases = session.scalars(
        select(Case).where(Case.customer_id == customer_id, Case.status == "open").order_by(Case.created_at)
    ).all()
    return {"conversations": list(convs), "open_cases": list(cases)}


def latest_entity(session: Session, conversation_id: str, entity: str) -> str | None:
    """The newest value of entity the customer gave in this conversation, to whomever they said it."""
    for m in session.scalars(select(Message).where(Message.conversation_id == conversation_id,
                                                   Message.sender == Sender.CUSTOMER).order_by(Message.id.desc())):
        for e in reversed(m.entities or []):
            if e.get("entity") == entity and e.get("value"):
                return str(e["value"])
    return None


def open_cases(session: Session, customer_id: str) -> Sequence[Case]:
    return session.scalars(
        select(Case).where(Case.customer_id == customer_id, Case.status == "open").order_by(Case.created_at)
    ).all()


def find_case(session: Session, number: str) -> Case | None:
    return session.scalar(select(Case).where(func.upper(Case.number) == number.upper()))


def next_case_number(session: Session) -> str:
    """Return the next free case number: one above the highest CS- number so far (at least CS-10001).

    The database finds the highest: reading every number into Python on each new case made opening
    a case (every handoff) cost more with every case ever opened (README, Operations)."""
    upper = func.upper(Case.number)
    if session.get_bind().dialect.name == "postgresql":
        numeric = upper.regexp_match("^CS-[0-9]{1,15}$")
    else:  # SQLite: GLOB runs in C (REGEXP would call back into Python for every row)
        numeric = upper.op("GLOB")("CS-[0-9]*") & ~upper.op("GLOB")("CS-*[^0-9]*") & (func.length(Case.number) <= 18)
    highest = session.scalar(select(func.max(cast(func.substr(Case.number, 4), BigInteger))).where(numeric))
    return f"CS-{max(10000, highest or 0) + 1}"


def record_event(session: Session, name: str, conversation_id: str | None, data: dict[str, Any]) -> None:
    session.add(EventRecord(name=name, conversation_id=conversation_id, data=data))


def agents(session: Session) -> Sequence[Agent]:
    return session.scalars(select(Agent).order_by(Agent.id)).all()


def agent_by_username(session: Session, username: str) -> Agent | None:
    return session.scalar(select(Agent).where(Agent.username == username))


def message_dict(m: Message) -> dict[str, Any]:
    """Return the JSON-ready public view of a message (no NLU internals)."""
    meta = m.meta or {}
    public_meta = {
        k: meta[k]
        for k in ("kind", "article_id", "title", "url", "buttons", "feedback", "agent_name", "options", "case_number",
                  "delivery")
        if k in meta
    }
    return {
        "id": m.id,
        "conversation_id": m.conversation_id,
        "sender": m.sender,
        "text": m.text,
        "agent_id": m.agent_id,
        "agent_name": meta.get("agent_name"),
        "meta": public_meta,
        "created_at": m.created_at.isoformat() if m.created_at else None,
    }
