"""Claims answer the same whatever the identifier; codes are hashed, expire, and lock after three wrong answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.db import Database
from crm import Conversation, Customer, Identity, VerificationAttempt, VerificationChallenge
from crm.verification import VerificationSettings, answer_challenge, claim_identity, latest_verification
from tests import factories
from tests.crm.test_identity import known_customer

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
SECRET = "test-secret"
S = VerificationSettings(_env_file=None)  # type: ignore[call-arg]


def visitor_conversation(db: Database) -> tuple[str, str]:
    with db.session() as s:
        known_customer(s)
        visitor = factories.customer(s, name=None)
        return factories.conversation(s, customer=visitor).id, visitor.id


def claim(db: Database, cid: str, kind: str = "email", value: str = "ana.silva@example.com", now: datetime = NOW,
          **kw: object):  # type: ignore[no-untyped-def]
    with db.session() as s:
        return claim_identity(s, cid, kind, value, secret=SECRET, now=now, settings=S, **kw)  # type: ignore[arg-type]


def answer(db: Database, cid: str, text: str, now: datetime = NOW):  # type: ignore[no-untyped-def]
    with db.session() as s:
        return answer_challenge(s, cid, text, secret=SECRET, now=now, settings=S)


def count(db: Database, model: type) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_claim_known_email_sends_a_code_and_stores_only_its_hash(db: Database) -> None:
    cid, _ = visitor_conversation(db)
    result = claim(db, cid)
    assert result.status == "sent" and result.code is not None
    assert result.code.channel == "email" and result.code.to == "ana.silva@example.com"
    assert len(result.code.code) == 6 and result.code.code.isdigit()
    with db.session() as s:
        [row] = s.scalars(select(VerificationChallenge))
        assert row.code_hash and result.code.code not in row.code_hash
        assert row.expires_at == NOW + timedelta(minutes=10)


def test_claim_unknown_identifier_looks_exactly_like_a_known_one(db: Database) -> None:
    cid, _ = visitor_conversation(db)
    known = claim(db, cid, "email", "ana.silva@example.com")
    unknown = claim(db, cid, "email", "nobody@example.com")
    assert (known.status, known.kind, known.message, known.knowledge_question) == \
        (unknown.status, unknown.kind, unknown.message, unknown.knowledge_question)
    assert unknown.code is None  # nothing is sent to an address we don't hold


def test_claim_account_number_sends_to_the_email_on_file(db: Database) -> None:
    cid, _ = visitor_conversation(db)
    result = claim(db, cid, "account_number", "TW20418833")
    assert result.code is not None and (result.code.channel, result.code.to) == ("email", "ana.silva@example.com")
    assert result.knowledge_question == "postcode"


def test_claim_phone_goes_by_sms_only_when_configured(db: Database) -> None:
    cid, _ = visitor_conversation(db)
    by_sms = claim(db, cid, "phone", "07700 900123", sms_available=True)
    assert by_sms.code is not None and by_sms.code.channel == "sms" and by_sms.code.to == "+44 7700 900123"
    by_email = claim(db, cid, "phone", "07700 900123")
    assert by_email.code is not None and by_email.code.channel == "email"


@pytest.mark.parametrize("value", ["a" * 10_000 + "@example.com", "ana@@example.com", "", "x@y"])
def test_claim_malformed_email_is_refused_and_nothing_stored(db: Database, value: str) -> None:
    cid, _ = visitor_conversation(db)
    result = claim(db, cid, "email", value)
    assert result.status == "invalid" and result.message.startswith("That doesn't look like an email address")
    assert count(db, VerificationChallenge) == 0


def test_answer_right_code_with_spaces_verifies_and_merges(db: Database) -> None:
    cid, visitor_id = visitor_conversation(db)
    code = claim(db, cid).code.code  # type: ignore[union-attr]
    result = answer(db, cid, f"the code is {code[:3]} {code[3:]}", now=NOW + timedelta(minutes=2))
    assert result.status == "verified" and result.method == "email_code"
    assert result.moved == {"conversations": 1, "cases": 0, "identities": 0}
    with db.session() as s:
        conv = s.get(Conversation, cid)
        assert conv.customer.external_id == "cust-1001"  # type: ignore[union-attr]
        assert s.get(Customer, visitor_id).profile["merged_into"] == conv.customer_id  # type: ignore[union-attr]
        done = latest_verification(s, conv.customer_id)  # type: ignore[union-attr]
        assert done is not None and done.verified_method == "email_code"
        assert done.verified_at == NOW + timedelta(minutes=2)
        assert s.scalar(select(Identity).where(Identity.value == "ana.silva@example.com")).verified is True  # type: ignore[union-attr]


def test_answer_code_with_dashes_is_normalised(db: Database) -> None:
    cid, _ = visitor_conversation(db)
    code = claim(db, cid).code.code  # type: ignore[union-attr]
    assert answer(db, cid, f"{code[:3]}-{code[3:]}").status == "verified"


@pytest.mark.parametrize(("text", "message"), [
    ("12a456", "Codes are 6 digits only, with no letters. Could you type it again?"),
    ("12345", "That's 5 digits; the code has 6. Could you type it again?"),
    ("1234 5678", "That's 8 digits; the code has 6. Could you type it again?"),
    ("hello", "I need the 6-digit code we sent you or the postcode on the account."),
])
def test_answer_malformed_code_gets_a_clear_message_and_counts_as_nothing(db: Database, text: str,
                                                                         message: str) -> None:
    cid, _ = visitor_conversation(db)
    claim(db, cid)
    result = answer(db, cid, text)
    assert (result.status, result.message) == ("malformed", message)
    assert count(db, VerificationAttempt) == 0


def test_answer_three_wrong_codes_lock_the_route_until_the_lock_ends(db: Database) -> None:
    cid, _ = visitor_conversation(db)
    code = claim(db, cid).code.code  # type: ignore[union-attr]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    first = answer(db, cid, wrong, now=NOW + timedelta(minutes=1))
    second = answer(db, cid, wrong, now=NOW + timedelta(minutes=2))
    third = answer(db, cid, wrong, now=NOW + timedelta(minutes=3))
    assert (first.status, first.remaining) == ("wrong", 2)
    assert (second.status, second.remaining) == ("wrong", 1)
    assert third.status == "locked" and third.retry_at == NOW + timedelta(minutes=18)
    # Locked: even the right code is refused and not recorded, and a new claim sends nothing.
    assert answer(db, cid, code, now=NOW + timedelta(minutes=4)).status == "locked"
    again = claim(db, cid, now=NOW + timedelta(minutes=5))
    assert again.status == "locked" and again.code is None
    assert count(db, VerificationAttempt) == 3
    # After the lock a fresh claim works again.
    fresh = claim(db, cid, now=NOW + timedelta(minutes=19))
    assert fresh.status == "sent" and fresh.code is not None
    assert answer(db, cid, fresh.code.code, now=NOW + timedelta(minutes=20)).status == "verified"


def test_answer_lock_cannot_be_reset_by_claiming_again(db: Database) -> None:
    cid, _ = visitor_conversation(db)
    for minute in range(3):
        code = claim(db, cid, now=NOW + timedelta(minutes=minute)).code.code  # type: ignore[union-attr]
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        result = answer(db, cid, wrong, now=NOW + timedelta(minutes=minute, seconds=30))
    assert result.status == "locked"


def test_answer_unknown_identifier_is_always_wrong_and_locks_the_same_way(db: Database) -> None:
    cid, _ = visitor_conversation(db)
    claim(db, cid, "email", "nobody@example.com")
    results = [answer(db, cid, "123456", now=NOW + timedelta(minutes=m)).status for m in range(3)]
    assert results == ["wrong", "wrong", "locked"]


def test_answer_expired_code_is_refused(db: Database) -> None:
    cid, _ = visitor_conversation(db)
    code = claim(db, cid).code.code  # type: ignore[union-attr]
    assert answer(db, cid, code, now=NOW + timedelta(minutes=11)).status == "expired"


def test_answer_postcode_verifies_on_the_knowledge_route(db: Database) -> None:
    cid, _ = visitor_conversation(db)
    claim(db, cid, "account_number", "TW20418833")
    assert answer(db, cid, "my postcode is BS2 4DJ").status == "wrong"
    result = answer(db, cid, "bs1 4dj")
    assert (result.status, result.method) == ("verified", "postcode")


def test_answer_without_a_claim_is_no_challenge(db: Database) -> None:
    cid, _ = visitor_conversation(db)
    assert answer(db, cid, "123456").status == "no_challenge"
    assert count(db, VerificationAttempt) == 0


def test_claim_too_many_codes_for_one_identifier_waits(db: Database) -> None:
    cid, _ = visitor_conversation(db)
    statuses = [claim(db, cid, now=NOW + timedelta(minutes=m)).status for m in range(4)]
    assert statuses == ["sent", "sent", "sent", "too_many"]


def test_claim_account_last4_question_is_not_offered_for_an_account_number_claim(db: Database) -> None:
    cid, _ = visitor_conversation(db)
    s4 = replace_settings(knowledge_question="account_last4")
    with db.session() as s:
        result = claim_identity(s, cid, "account_number", "TW20418833", secret=SECRET, now=NOW, settings=s4)
    assert result.knowledge_question is None


def replace_settings(**kw: object) -> VerificationSettings:
    return VerificationSettings(_env_file=None, **kw)  # type: ignore[call-arg]


