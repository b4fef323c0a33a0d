"""The handoff packet says how the customer's identity is known."""

from __future__ import annotations

from datetime import UTC, datetime

from core.db import Database
from crm import store
from crm.verification import VerificationSettings, answer_challenge, claim_identity
from escalation.packet import build_packet
from escalation.turns import Decision
from tests import factories
from tests.crm.test_identity import known_customer

NOW = datetime(2026, 12, 3, 8, 12, tzinfo=UTC)
S = VerificationSettings(_env_file=None)  # type: ignore[call-arg]


def test_packet_shows_verified_identity_and_how(db: Database) -> None:
    with db.session() as s:
        factories.agent(s, "tom", timezone="Europe/London")
        known_customer(s)
        conv = factories.conversation(s, customer=factories.customer(s, name=None))
        anonymous = build_packet(s, conv.id, Decision(True, "asked_for_human", "asked"))
        code = claim_identity(s, conv.id, "email", "ana.silva@example.com", secret="k", now=NOW, settings=S).code
        assert code is not None
        assert answer_challenge(s, conv.id, code.code, secret="k", now=NOW, settings=S).status == "verified"
        s.expire_all()
        verified = build_packet(s, conv.id, Decision(True, "asked_for_human", "asked"))
    assert anonymous["customer"]["verified"] == "not verified (anonymous visitor)"
    assert verified["customer"]["verified"] == ("email verified by one-time code sent to the email address on file, "
                                                "Thursday 3 December, 08:12 (UK time)")
    assert "email: ana.silva@example.com (verified)" in verified["customer"]["identities"]


def test_packet_signed_in_customer_is_verified_by_the_sites_hash(db: Database) -> None:
    with db.session() as s:
        ana = known_customer(s)
        conv = store.start_conversation(s, ana)
        packet = build_packet(s, conv.id, Decision(True, "asked_for_human", "asked"))
    assert packet["customer"]["verified"] == "signed in on the company's site (verified identity hash)"
