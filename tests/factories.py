"""Small factories for test data."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from crm import Agent, Case, Conversation, Customer, hash_password, store

_PW_HASH: dict[str, str] = {}


def customer(session: Session, **kw: Any) -> Customer:
    fields = {"name": "Ana Silva", "segment": "residential"} | kw
    external_id = fields.pop("external_id", None)
    return store.get_or_create_customer(session, external_id, **fields)


def conversation(session: Session, **kw: Any) -> Conversation:
    c = kw.pop("customer", None) or customer(session)
    conv = store.start_conversation(session, c)
    for k, v in kw.items():
        setattr(conv, k, v)
    session.flush()
    return conv


def agent(session: Session, username: str = "maria", password: str = "correct-horse", **kw: Any) -> Agent:
    if password not in _PW_HASH:
        _PW_HASH[password] = hash_password(password)
    fields: dict[str, Any] = {"display_name": username.title(), "role": "agent", "team": "Billing",
                              "skills": [], "languages": ["en"], "capacity": 3, "status": "online",
                              "working_hours": {}} | kw
    a = Agent(username=username, password_hash=_PW_HASH[password], **fields)
    session.add(a)
    session.flush()
    return a


def case(session: Session, customer_row: Customer, number: str = "CS-10423", **kw: Any) -> Case:
    fields = {"title": "Intermittent drop-outs every evening", "status": "open"} | kw
    c = Case(number=number, customer_id=customer_row.id, **fields)
    session.add(c)
    session.flush()
    return c
