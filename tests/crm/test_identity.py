"""Identifiers, lookup and the merge of an anonymous visitor into the customer they proved to be."""

from __future__ import annotations

import pytest

from core.db import Database
from crm import Case, Conversation, Customer, Identity, store
from crm.identity import InvalidIdentifier, find_claimed, is_known, merge_visitor, normalise_identifier, resolve_visitor
from tests import factories


def known_customer(s, **kw):  # type: ignore[no-untyped-def]
    fields = {"external_id": "cust-1001", "name": "Ana Silva", "email": "ana.silva@example.com",
              "phone": "+44 7700 900123", "profile": {"account_number": "TW20418833", "postcode": "BS1 4DJ"}} | kw
    c = factories.customer(s, **fields)
    store.add_identity(s, c, "email", "ana.silva@example.com", verified=True)
    store.add_identity(s, c, "phone", "+44 7700 900123", verified=True)
    store.add_identity(s, c, "account_number", "TW20418833", verified=True)
    return c


@pytest.mark.parametrize(("kind", "raw", "expected"), [
    ("email", "  Ana.Silva@Example.COM ", "ana.silva@example.com"),
    ("phone", "+44 7700 900123", "447700900123"),
    ("phone", "07700 900123", "447700900123"),
    ("phone", "0044 (7700) 900-123", "447700900123"),
    ("account_number", "tw2041 8833", "TW20418833"),
])
def test_normalise_identifier_canonical_forms(kind: str, raw: str, expected: str) -> None:
    assert normalise_identifier(kind, raw) == expected


@pytest.mark.parametrize(("kind", "raw"), [
    ("email", "a" * 10_000 + "@example.com"),
    ("email", "ana@@example.com"),
    ("email", "ana.silva@example"),
    ("email", "<script>@x.com"),
    ("email", ""),
    ("phone", "12"),
    ("phone", "call me maybe"),
    ("account_number", "TW!"),
    ("account_number", "x" * 500),
    ("passport", "123"),
])
def test_normalise_identifier_refuses_malformed_with_a_clear_message(kind: str, raw: str) -> None:
    with pytest.raises(InvalidIdentifier) as exc:
        normalise_identifier(kind, raw)
    assert len(str(exc.value)) < 200  # short enough to show a customer


def test_find_claimed_matches_each_kind_of_identifier(db: Database) -> None:
    with db.session() as s:
        ana = known_customer(s)
        for kind, value in (("email", "ana.silva@example.com"), ("phone", "447700900123"),
                            ("account_number", "TW20418833")):
            found = find_claimed(s, kind, value)
            assert found is not None and found.customer.id == ana.id, kind
        assert find_claimed(s, "account_number", "TW00000000") is None
        assert find_claimed(s, "email", "nobody@example.com") is None


def test_find_claimed_ignores_an_anonymous_visitors_own_contact_details(db: Database) -> None:
    with db.session() as s:
        visitor = factories.customer(s, name=None, email="someone@example.com")
        store.add_identity(s, visitor, "email", "someone@example.com")  # unverified, given for a call-back
        assert find_claimed(s, "email", "someone@example.com") is None


def test_merge_visitor_moves_conversations_cases_and_identities_in_one_transaction(db: Database) -> None:
    with db.session() as s:
        ana = known_customer(s)
        visitor = factories.customer(s, name=None)
        conv1, conv2 = factories.conversation(s, customer=visitor), factories.conversation(s, customer=visitor)
        factories.case(s, visitor, "CS-20001", title="After-hours call-back")
        store.add_identity(s, visitor, "email", "ana.work@example.com")
        assert not is_known(visitor)
        moved = merge_visitor(s, visitor, ana)
        ids = (ana.id, visitor.id, conv1.id, conv2.id)
    assert moved == {"conversations": 2, "cases": 1, "identities": 1}
    with db.session() as s:
        ana_id, visitor_id, c1, c2 = ids
        assert {s.get(Conversation, c).customer_id for c in (c1, c2)} == {ana_id}
        assert store.find_case(s, "CS-20001").customer_id == ana_id  # type: ignore[union-attr]
        moved_ident = s.query(Identity).filter_by(value="ana.work@example.com").one()
        assert moved_ident.customer_id == ana_id and moved_ident.verified is False
        assert s.get(Customer, visitor_id).profile["merged_into"] == ana_id  # type: ignore[union-attr]
        assert resolve_visitor(s, visitor_id).id == ana_id  # type: ignore[union-attr]
        assert s.query(Case).filter_by(customer_id=visitor_id).count() == 0


def test_merge_visitor_refuses_to_merge_a_known_customer(db: Database) -> None:
    with db.session() as s:
        ana = known_customer(s)
        other = factories.customer(s, external_id="cust-9", name="Other")
        with pytest.raises(ValueError):
            merge_visitor(s, other, ana)
