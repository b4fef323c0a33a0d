"""Who a visitor is: identifiers normalised, looked up, and an anonymous visitor merged into a customer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.db import utcnow
from crm.models import Case, Conversation, Customer, Identity

__all__ = [
    "CLAIM_KINDS",
    "Claimed",
    "InvalidIdentifier",
    "find_claimed",
    "is_known",
    "merge_visitor",
    "normalise_identifier",
    "resolve_visitor",
]

CLAIM_KINDS = ("email", "phone", "account_number")
MAX_EMAIL = 254  # RFC 5321's limit on a path
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_ACCOUNT = re.compile(r"^[A-Z0-9]{4,20}$")


class InvalidIdentifier(ValueError):
    """An identifier that cannot be one (malformed, too long): the message says what was expected."""


def normalise_identifier(kind: str, value: str) -> str:
    """Return the canonical form used for matching, or raise InvalidIdentifier."""
    if kind not in CLAIM_KINDS:
        raise InvalidIdentifier(f"unknown identifier kind {kind!r}")
    if not isinstance(value, str):
        raise InvalidIdentifier("identifier must be text")
    raw = value.strip()
    if kind == "email":
        if len(raw) > MAX_EMAIL or not _EMAIL.match(raw):
            raise InvalidIdentifier("That doesn't look like an email address (for example name@example.com).")
        return raw.lower()
    if kind == "phone":
        if len(raw) > 32 or not re.fullmatch(r"[+\d\s().-]+", raw):
            raise InvalidIdentifier("That doesn't look like a phone number.")
        digits = re.sub(r"\D", "", raw)
        if raw.startswith("+"):
            pass
        elif digits.startswith("00"):
            digits = digits[2:]
        elif digits.startswith("0"):
            digits = "44" + digits[1:]  # a national UK number (the tenant's country)
        if not 8 <= len(digits) <= 15:
            raise InvalidIdentifier("That doesn't look like a phone number.")
        return digits
    compact = re.sub(r"[\s-]", "", raw).upper()
    if not _ACCOUNT.match(compact):
        raise InvalidIdentifier("That doesn't look like an account number (for example TW20418833).")
    return compact


@dataclass(frozen=True)
class Claimed:
    """The customer (and identity row) an identifier belongs to."""

    customer: Customer
    identity: Identity | None


def find_claimed(session: Session, kind: str, normalised: str) -> Claimed | None:
    """Return the known customer who owns a normalised identifier, or None (merged visitors never match)."""
    found: Claimed | None = None
    if kind == "email":
        ident = session.scalar(select(Identity).where(Identity.kind == "email",
                                                      func.lower(Identity.value) == normalised))
        if ident is not None:
            found = Claimed(ident.customer, ident)
        else:
            customer = session.scalar(select(Customer).where(func.lower(Customer.email) == normalised).limit(1))
            found = Claimed(customer, None) if customer is not None else None
    elif kind == "phone":
        # Stored numbers keep their spacing ("+44 7700 900123"): narrow by the last digits, compare normalised.
        tail = normalised[-3:]
        for ident in session.scalars(select(Identity).where(Identity.kind == "phone", Identity.value.contains(tail))):
            try:
                if normalise_identifier("phone", ident.value) == normalised:
                    found = Claimed(ident.customer, ident)
                    break
            except InvalidIdentifier:
                continue
    else:
        ident = session.scalar(select(Identity).where(Identity.kind == "account_number",
                                                      func.upper(Identity.value) == normalised))
        found = Claimed(ident.customer, ident) if ident is not None else None
    if found is None or (found.customer.profile or {}).get("merged_into") or not is_known(found.customer):
        # An anonymous visitor's own unverified contact details prove nothing about anyone.
        return None
    return found


def is_known(customer: Customer) -> bool:
    """True for a signed-in (company id) or verified customer; False for an anonymous visitor."""
    return customer.external_id is not None or any(i.verified for i in customer.identities)


def resolve_visitor(session: Session, customer_id: str) -> Customer | None:
    """Return the customer a visitor token names, following merges into the customer they proved to be."""
    customer = session.get(Customer, customer_id)
    for _ in range(5):  # merges chain at most a few times; never loop on a corrupt pointer
        target = (customer.profile or {}).get("merged_into") if customer is not None else None
        if not target:
            return customer
        customer = session.get(Customer, target)
    return customer


def merge_visitor(session: Session, visitor: Customer, customer: Customer) -> dict[str, int]:
    """Move everything the anonymous visitor owns onto the customer, in the caller's transaction.

    Conversations, cases and the visitor's own (unverified) identities move; the visitor row stays as a
    pointer ("merged_into") so their visitor token finds the customer on the next visit.
    """
    if visitor.id == customer.id:
        return {"conversations": 0, "cases": 0, "identities": 0}
    if is_known(visitor):
        raise ValueError("only an anonymous visitor can be merged into a customer")
    moved = {}
    for name, model in (("conversations", Conversation), ("cases", Case), ("identities", Identity)):
        result = session.execute(update(model).where(model.customer_id == visitor.id)
                                 .values(customer_id=customer.id).execution_options(synchronize_session="fetch"))
        moved[name] = int(result.rowcount)  # type: ignore[attr-defined]
    visitor.profile = {**(visitor.profile or {}), "merged_into": customer.id, "merged_at": utcnow().isoformat()}
    session.flush()
    session.expire(customer, ["identities"])
    return moved
