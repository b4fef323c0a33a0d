"""Tables of identity verification: one challenge per claim, and every answer given to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow
from crm.models import new_id


class VerificationChallenge(Base):
    """A visitor's claim to be a customer ("my email is ..."), and how it may be proven.

    A claim on an identifier nobody has still gets a challenge (with no customer and no code), so the
    visitor sees exactly what they would have seen for a real customer. Only the code's hash is kept.
    """

    __tablename__ = "verification_challenges"
    __table_args__ = (Index("ix_verification_challenges_claim_key_created", "claim_key", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    visitor_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    claim_kind: Mapped[str] = mapped_column(String(32))  # email | phone | account_number
    claim_key: Mapped[str] = mapped_column(String(64))  # keyed hash of the normalised identifier
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("identities.id", ondelete="SET NULL"))
    code_channel: Mapped[str | None] = mapped_column(String(16))  # email | sms, when a code was sent
    code_hash: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column()
    delivery: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the outbound Delivery, once known
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)  # a newer claim replaced it
    verified_at: Mapped[datetime | None] = mapped_column()
    verified_method: Mapped[str | None] = mapped_column(String(32))  # email_code | sms_code | postcode | ...
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VerificationAttempt(Base):
    """One well-formed answer to a challenge, right or wrong (malformed answers are not recorded)."""

    __tablename__ = "verification_attempts"
    __table_args__ = (Index("ix_verification_attempts_claim_key_route", "claim_key", "route", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    challenge_id: Mapped[str] = mapped_column(ForeignKey("verification_challenges.id", ondelete="CASCADE"))
    claim_key: Mapped[str] = mapped_column(String(64))
    route: Mapped[str] = mapped_column(String(16))  # code | knowledge
    ok: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
