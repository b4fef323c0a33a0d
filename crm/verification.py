"""Prove a claimed identity: a one-time code to the address on file, or an answer the company chose.

Plain functions over a Session. Sending the code is the caller's job (crm imports no channels): claim()
returns the code to send once, and only its keyed hash is stored. Whatever the identifier, a claim
answers the same way, so nobody can probe who is a customer.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm.identity import InvalidIdentifier, find_claimed, is_known, merge_visitor, normalise_identifier
from crm.models import Customer
from crm.store import get_conversation
from crm.verification_models import VerificationAttempt, VerificationChallenge

__all__ = [
    "AnswerResult",
    "ClaimResult",
    "CodeToSend",
    "VerificationSettings",
    "answer_challenge",
    "claim_identity",
    "latest_verification",
    "pending_challenge",
    "record_delivery",
]

CODE_DIGITS = 6
_POSTCODE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})\b", re.I)
_MIXED = re.compile(r"\b(?=[A-Za-z-]*\d)(?=[\d-]*[A-Za-z])[A-Za-z\d-]{4,}\b")


class VerificationSettings(BaseSettings):
    """Verification settings (env prefix FIRSTLINE_IDENTITY_)."""

    model_config = SettingsConfigDict(env_prefix="FIRSTLINE_IDENTITY_", extra="ignore")

    code_ttl_minutes: int = 10  # a code (and the claim) is good for this long
    max_attempts: int = 3  # wrong answers on one route before it locks
    lock_minutes: int = 15  # how long a route stays locked; also the window the attempts count in
    max_codes: int = 3  # codes sent for one identifier per lock window (no inbox flooding)
    # The knowledge question the company accepts instead of a code: postcode | account_last4 | none.
    knowledge_question: Literal["postcode", "account_last4", "none"] = "postcode"


@dataclass(frozen=True)
class CodeToSend:
    challenge_id: str
    channel: str  # email | sms
    to: str
    code: str
    customer_name: str | None


@dataclass(frozen=True)
class ClaimResult:
    # sent: a challenge stands (a code went out if the identifier is on file); invalid: not an identifier;
    # locked / too_many: try again at retry_at; already: the visitor is a known customer already.
    status: Literal["sent", "invalid", "locked", "too_many", "already"]
    kind: str
    message: str = ""
    retry_at: datetime | None = None
    code: CodeToSend | None = field(default=None, repr=False)
    knowledge_question: str | None = None


@dataclass(frozen=True)
class AnswerResult:
    # verified | wrong | locked | expired | malformed | no_challenge
    status: Literal["verified", "wrong", "locked", "expired", "malformed", "no_challenge"]
    message: str = ""
    remaining: int = 0
    retry_at: datetime | None = None
    customer_id: str | None = None
    method: str | None = None
    moved: dict[str, int] = field(default_factory=dict)


def _key(secret: str, purpose: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def _code_hash(secret: str, challenge_id: str, code: str) -> str:
    return _key(secret, f"code:{challenge_id}", code)


def _knowledge_question(s: VerificationSettings, kind: str) -> str | None:
    if s.knowledge_question == "none" or (s.knowledge_question == "account_last4" and kind == "account_number"):
        return None  # the last four of an account number the visitor just typed prove nothing
    return s.knowledge_question


def _lock_until(session: Session, claim_key: str, route: str, now: datetime,
                s: VerificationSettings) -> datetime | None:
    """When the route unlocks, if max_attempts wrong answers fell inside the lock window; else None."""
    window = now - timedelta(minutes=s.lock_minutes)
    fails = list(session.scalars(select(VerificationAttempt.created_at).where(
        VerificationAttempt.claim_key == claim_key, VerificationAttempt.route == route,
        VerificationAttempt.ok.is_(False), VerificationAttempt.created_at > window)))
    if len(fails) < s.max_attempts:
        return None
    return max(fails) + timedelta(minutes=s.lock_minutes)


def pending_challenge(session: Session, conversation_id: str) -> VerificationChallenge | None:
    """The conversation's current claim waiting for an answer, if any."""
    return session.scalar(select(VerificationChallenge).where(
        VerificationChallenge.conversation_id == conversation_id, VerificationChallenge.superseded.is_(False),
        VerificationChallenge.verified_at.is_(None)).order_by(VerificationChallenge.created_at.desc()).limit(1))


def claim_identity(session: Session, conversation_id: str, kind: str, value: str, *, secret: str, now: datetime,
                   settings: VerificationSettings, sms_available: bool = False,
                   email_available: bool = True) -> ClaimResult:
    """Start proving that the conversation's visitor owns an identifier; nothing is revealed about it."""
    try:
        normalised = normalise_identifier(kind, value)
    except InvalidIdentifier as exc:
        return ClaimResult("invalid", kind, str(exc))
    conv = get_conversation(session, conversation_id)
    visitor = conv.customer
    if is_known(visitor):
        return ClaimResult("already", kind)
    question = _knowledge_question(settings, kind)
    claim_key = _key(secret, "claim", f"{kind}:{normalised}")
    locked = _lock_until(session, claim_key, "code", now, settings)
    if locked is not None and locked > now:
        return ClaimResult("locked", kind, retry_at=locked, knowledge_question=question)
    window = now - timedelta(minutes=settings.lock_minutes)
    recent = list(session.scalars(select(VerificationChallenge.created_at).where(
        VerificationChallenge.claim_key == claim_key, VerificationChallenge.created_at > window)))
    if len(recent) >= settings.max_codes:
        return ClaimResult("too_many", kind, retry_at=min(recent) + timedelta(minutes=settings.lock_minutes),
                           knowledge_question=question)
    session.execute(update(VerificationChallenge).where(
        VerificationChallenge.conversation_id == conversation_id, VerificationChallenge.verified_at.is_(None))
        .values(superseded=True).execution_options(synchronize_session="fetch"))
    found = find_claimed(session, kind, normalised)
    challenge = VerificationChallenge(
        conversation_id=conversation_id, visitor_id=visitor.id, claim_kind=kind, claim_key=claim_key,
        customer_id=found.customer.id if found else None,
        identity_id=found.identity.id if found and found.identity else None,
        expires_at=now + timedelta(minutes=settings.code_ttl_minutes), created_at=now, delivery={})
    session.add(challenge)
    session.flush()
    code: CodeToSend | None = None
    if found is not None:
        target = _code_target(found.customer, kind, normalised, found.identity.value if found.identity else None,
                              sms_available, email_available)
        if target is not None:
            digits = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
            challenge.code_channel, challenge.code_hash = target[0], _code_hash(secret, challenge.id, digits)
            code = CodeToSend(challenge.id, target[0], target[1], digits, found.customer.name)
    session.flush()
    return ClaimResult("sent", kind, code=code, knowledge_question=question)


def _code_target(customer: Customer, kind: str, normalised: str, on_file: str | None,
                 sms_available: bool, email_available: bool) -> tuple[str, str] | None:
    """Where the code goes: the claimed address itself for an email, else the email (or phone) on file."""
    if kind == "email" and email_available:
        return "email", on_file or customer.email or normalised
    if kind == "phone" and sms_available:
        return "sms", on_file or customer.phone or normalised
    if email_available and customer.email:
        return "email", customer.email
    if sms_available and customer.phone:
        return "sms", customer.phone
    return None


def record_delivery(session: Session, challenge_id: str, delivery: dict[str, object]) -> None:
    """Note how sending the code went (shown to staff; the visitor's reply never depends on it)."""
    challenge = session.get(VerificationChallenge, challenge_id)
    if challenge is not None:
        challenge.delivery = dict(delivery)


def _read_answer(text: str, question: str | None) -> tuple[str, str] | str:
    """Return (route, value) for a well-formed answer, or the message for a malformed one."""
    if question == "postcode" and (m := _POSTCODE.search(text)):
        return "knowledge", f"{m.group(1)}{m.group(2)}".upper()
    runs = re.findall(r"\d(?:[\s-]*\d)*", text)
    digits = re.sub(r"\D", "", max(runs, key=len)) if runs else ""
    if _MIXED.search(text) and len(digits) != CODE_DIGITS:
        return "Codes are 6 digits only, with no letters. Could you type it again?"
    if len(digits) == CODE_DIGITS:
        return "code", digits
    if question == "account_last4" and len(digits) == 4:
        return "knowledge", digits
    if digits:
        return f"That's {len(digits)} digit{'s' if len(digits) != 1 else ''}; the code has 6. Could you type it again?"
    return "I need the 6-digit code we sent you" + (" or the postcode on the account." if question == "postcode"
                                                      else " or the last four digits of your account number."
                                                      if question == "account_last4" else ".")


def _knowledge_ok(customer: Customer | None, question: str, value: str) -> bool:
    if customer is None:
        return False
    profile = customer.profile or {}
    if question == "postcode":
        expected = re.sub(r"\s", "", str(profile.get("postcode") or "")).upper()
    else:
        expected = re.sub(r"\D", "", str(profile.get("account_number") or ""))[-4:]
    return bool(expected) and hmac.compare_digest(expected, value)


def answer_challenge(session: Session, conversation_id: str, text: str, *, secret: str, now: datetime,
                     settings: VerificationSettings) -> AnswerResult:
    """Check the visitor's answer to their claim; on success verify and merge them into the customer."""
    challenge = pending_challenge(session, conversation_id)
    if challenge is None:
        return AnswerResult("no_challenge")
    question = _knowledge_question(settings, challenge.claim_kind)
    read = _read_answer(text if isinstance(text, str) else "", question)
    if isinstance(read, str):
        return AnswerResult("malformed", read)  # nothing is stored: a typo costs no attempt
    route, value = read
    locked = _lock_until(session, challenge.claim_key, route, now, settings)
    if locked is not None and locked > now:
        return AnswerResult("locked", retry_at=locked)
    if now > challenge.expires_at:
        return AnswerResult("expired")
    if route == "code":
        ok = challenge.code_hash is not None and hmac.compare_digest(
            challenge.code_hash, _code_hash(secret, challenge.id, value))
    else:
        assert question is not None
        ok = _knowledge_ok(session.get(Customer, challenge.customer_id) if challenge.customer_id else None,
                           question, value)
    session.add(VerificationAttempt(challenge_id=challenge.id, claim_key=challenge.claim_key, route=route, ok=ok,
                                    created_at=now))
    session.flush()
    if not ok:
        locked = _lock_until(session, challenge.claim_key, route, now, settings)
        if locked is not None:
            return AnswerResult("locked", retry_at=locked)
        window = now - timedelta(minutes=settings.lock_minutes)
        fails = session.scalar(select(func.count()).select_from(VerificationAttempt).where(
            VerificationAttempt.claim_key == challenge.claim_key, VerificationAttempt.route == route,
            VerificationAttempt.ok.is_(False), VerificationAttempt.created_at > window)) or 0
        return AnswerResult("wrong", remaining=max(0, settings.max_attempts - int(fails)))
    assert challenge.customer_id is not None  # a right answer needs a customer to be right about
    customer = session.get(Customer, challenge.customer_id)
    assert customer is not None
    method = f"{challenge.code_channel}_code" if route == "code" else question
    challenge.verified_at, challenge.verified_method = now, method
    if challenge.identity_id is not None:
        from crm.models import Identity

        ident = session.get(Identity, challenge.identity_id)
        if ident is not None:
            ident.verified = True
    visitor = session.get(Customer, challenge.visitor_id)
    moved = merge_visitor(session, visitor, customer) if visitor is not None else {}
    return AnswerResult("verified", customer_id=customer.id, method=method, moved=moved)


def latest_verification(session: Session, customer_id: str) -> VerificationChallenge | None:
    """The customer's most recent successful verification (method and time), if any."""
    return session.scalar(select(VerificationChallenge).where(
        VerificationChallenge.customer_id == customer_id, VerificationChallenge.verified_at.is_not(None))
        .order_by(VerificationChallenge.verified_at.desc()).limit(1))
