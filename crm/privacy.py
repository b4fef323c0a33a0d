"""A customer's own data: export it as JSON, erase it from the interaction history, audit the erasure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, delete, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, utcnow
from crm.models import Case, Conversation, Customer, EventRecord, Handoff, Identity, Message
from crm.store import NotFound

__all__ = ["Erasure", "ErasedRecords", "customer_export", "customer_texts", "erase_customer_records"]


class Erasure(Base):
    """Who erased which customer and when: ids and counts only, never the erased data."""

    __tablename__ = "privacy_erasures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(32), index=True)  # a random id: it names nobody
    erased_by: Mapped[str] = mapped_column(String(64))
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)


@dataclass
class ErasedRecords:
    customer_id: str
    conversation_ids: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    erased_at: datetime | None = None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _customer(session: Session, customer_id: str) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    return customer


def _conversations(session: Session, customer_id: str) -> list[Conversation]:
    return list(session.scalars(select(Conversation).where(Conversation.customer_id == customer_id)
                                .order_by(Conversation.created_at, Conversation.id)))


def customer_export(session: Session, customer_id: str) -> dict[str, Any]:
    """Return everything held about one customer: profile, identities, conversations with their
    messages (internal notes included: they are about the customer too), cases and ratings."""
    c = _customer(session, customer_id)
    convs = _conversations(session, customer_id)
    ids = [conv.id for conv in convs]
    messages: dict[str, list[dict[str, Any]]] = {cid: [] for cid in ids}
    if ids:
        for m in session.scalars(select(Message).where(Message.conversation_id.in_(ids)).order_by(Message.id)):
            messages[m.conversation_id].append({"id": m.id, "sender": m.sender, "text": m.text,
                                                "intent": m.intent, "at": _iso(m.created_at)})
    cases = session.scalars(select(Case).where(or_(Case.customer_id == customer_id, Case.conversation_id.in_(ids)))
                            .order_by(Case.id))
    return {
        "profile": {"id": c.id, "external_id": c.external_id, "name": c.name, "email": c.email, "phone": c.phone,
                    "segment": c.segment, "vip": c.vip, "profile": c.profile, "created_at": _iso(c.created_at)},
        "identities": [{"kind": i.kind, "value": i.value, "verified": i.verified, "created_at": _iso(i.created_at)}
                       for i in c.identities],
        "conversations": [{"id": conv.id, "status": conv.status, "channel": conv.channel, "rating": conv.rating,
                           "handoff_reason": conv.handoff_reason, "created_at": _iso(conv.created_at),
                           "updated_at": _iso(conv.updated_at), "messages": messages[conv.id]} for conv in convs],
        "cases": [{"number": k.number, "title": k.title, "status": k.status, "notes": k.notes,
                   "conversation_id": k.conversation_id, "promised_by": _iso(k.promised_by),
                   "contact_method": k.contact_method, "created_at": _iso(k.created_at)} for k in cases],
        "ratings": [{"conversation_id": conv.id, "rating": conv.rating} for conv in convs if conv.rating is not None],
    }


def customer_texts(session: Session, customer_id: str) -> tuple[list[str], list[str]]:
    """Return (conversation ids, the customer's own message texts): what derived stores may hold."""
    ids = [conv.id for conv in _conversations(session, _customer(session, customer_id).id)]
    texts = list(session.scalars(select(Message.text).where(Message.conversation_id.in_(ids),
                                                            Message.sender == "customer"))) if ids else []
    return ids, texts


CORE_TABLES = {"customers", "identities", "conversations", "messages", "handoffs", "cases", "event_log"}


def _erase_dependents(session: Session, roots: dict[str, list[Any]]) -> dict[str, int]:
    """Delete every row outside the core tables that references (through foreign keys, transitively)
    one of the roots' ids; return {table: rows deleted}."""
    tables = Customer.metadata.sorted_tables
    found: dict[str, set[Any]] = {name: set(v) for name, v in roots.items()}
    grew = True
    while grew:  # follow chains such as verification_attempts -> verification_challenges -> customers
        grew = False
        for table in tables:
            if table.name in CORE_TABLES or len(table.primary_key.columns) != 1:
                continue
            pk = next(iter(table.primary_key.columns))
            for col in table.columns:
                for fk in col.foreign_keys:
                    target = found.get(fk.column.table.name)
                    if not target:
                        continue
                    new = set(session.scalars(select(pk).where(col.in_(list(target))))) - found.get(table.name, set())
                    if new:
                        found.setdefault(table.name, set()).update(new)
                        grew = True
    deleted: dict[str, int] = {}
    for table in reversed(tables):
        ids = found.get(table.name)
        if table.name in CORE_TABLES or not ids:
            continue
        pk = next(iter(table.primary_key.columns))
        deleted[table.name] = session.execute(delete(table).where(pk.in_(list(ids)))).rowcount or 0  # type: ignore[attr-defined]
    return deleted


def erase_customer_records(session: Session, customer_id: str, erased_by: str,
                           counts: dict[str, int] | None = None) -> ErasedRecords:
    """Delete the customer and everything recorded about them; add the audit record (same transaction).

    counts: what was already erased elsewhere (trackers, articles), kept in the audit record too.
    """
    customer = _customer(session, customer_id)
    ids = [conv.id for conv in _conversations(session, customer_id)]
    counts = dict(counts or {})

    def gone(name: str, stmt: Any) -> None:
        counts[name] = session.execute(stmt).rowcount or 0  # type: ignore[attr-defined]

    # Rows of other packages' tables that point at this customer's records (verification challenges,
    # follow-up attempts, channel posts, read marks, assist suggestions...) go first, children before
    # parents, whatever package defined them: crm knows them only through the shared metadata.
    case_ids = list(session.scalars(select(Case.id).where(or_(Case.customer_id == customer_id,
                                                                Case.conversation_id.in_(ids)))))
    identity_ids = list(session.scalars(select(Identity.id).where(Identity.customer_id == customer_id)))
    for name, n in _erase_dependents(session, {"customers": [customer_id], "conversations": ids,
                                                "cases": case_ids, "identities": identity_ids}).items():
        counts[name] = n
    if ids:
        gone("messages", delete(Message).where(Message.conversation_id.in_(ids)))
        gone("handoffs", delete(Handoff).where(Handoff.conversation_id.in_(ids)))
        gone("events", delete(EventRecord).where(EventRecord.conversation_id.in_(ids)))
    gone("cases", delete(Case).where(or_(Case.customer_id == customer_id, Case.conversation_id.in_(ids))))
    gone("conversations", delete(Conversation).where(Conversation.customer_id == customer_id))
    gone("identities", delete(Identity).where(Identity.customer_id == customer_id))
    session.expunge(customer)
    gone("customers", delete(Customer).where(Customer.id == customer_id))
    audit = Erasure(customer_id=customer_id, erased_by=erased_by[:64], counts=counts)
    session.add(audit)
    session.flush()
    return ErasedRecords(customer_id, ids, counts, audit.erased_at)
