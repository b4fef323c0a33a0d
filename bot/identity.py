"""What the bot says when a visitor says who they are, proves it, or asks about their own account.

Plain functions over a Session; actions/identity.py adapts them to rasa-sdk. Codes are sent through
outbound/ after the claim's transaction commits, on a worker thread, so the reply (and its timing) is
the same whether or not the identifier is on file.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.assist import VERIFY_OFFER, Reply, case_view, describe_case, when
from bot.runtime import Runtime
from core.db import Database, utcnow
from crm import Customer, store
from crm.history import upcoming_visit
from crm.identity import CLAIM_KINDS, InvalidIdentifier, is_known, normalise_identifier
from crm.verification import (
    AnswerResult,
    ClaimResult,
    CodeToSend,
    VerificationSettings,
    answer_challenge,
    claim_identity,
    record_delivery,
)

log = logging.getLogger(__name__)

LABELS = {"email": "email address", "phone": "phone number", "account_number": "account number"}
KNOWLEDGE = {"postcode": "the postcode on the account", "account_last4": "the last four digits of your account number"}
_AT_WORD = re.compile(r"\S+@\S*")


@dataclass
class IdentityOutcome:
    reply: Reply
    code: CodeToSend | None = None
    verified_customer_id: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)


def first_name(customer: Customer) -> str:
    return customer.name.split()[0] if customer.name else "there"


def profile_slots(customer: Customer) -> dict[str, Any]:
    """Slots the profile knows, so the dialogue never asks for them (known customers only)."""
    if not is_known(customer):
        return {}
    profile = customer.profile or {}
    slots: dict[str, Any] = {"customer_id": customer.id, "segment": customer.segment, "customer_name": customer.name,
                             "email": customer.email, "phone": customer.phone,
                             "account_number": profile.get("account_number"), "plan": profile.get("plan")}
    return {k: v for k, v in slots.items() if v}


def pick_identifier(entities: list[dict[str, Any]], text: str) -> tuple[str, str] | str:
    """The identifier the visitor gave (email, then account number, then phone), or what to tell them."""
    for kind in ("email", "account_number", "phone"):
        for e in entities:
            if e.get("entity") == kind and e.get("value"):
                return kind, str(e["value"])
    at = _AT_WORD.search(text or "")
    if at:  # something email-shaped the entity patterns refused: say what is wrong with it
        try:
            normalise_identifier("email", at.group(0).strip(".,;:!?"))
        except InvalidIdentifier as exc:
            return str(exc)
    return ("I couldn't find an email address, phone number or account number in that. "
            "Could you type the one on your account?")


def _sent_text(result: ClaimResult, sms: bool, email: bool) -> str:
    label = LABELS[result.kind]
    if not email and not sms:  # no channel configured: the same for every identifier
        if result.knowledge_question:
            return ("Thanks. I can't send codes at the moment, so to confirm it's you, please tell me "
                    f"{KNOWLEDGE[result.knowledge_question]}.")
        return "Thanks. I can't confirm who you are in the chat at the moment, but a person from our team can."
    if result.kind == "email":
        where = "that address"
    elif result.kind == "phone" and sms:
        where = "that number by text"
    elif not email:
        where = "the phone number on that account by text"
    else:
        where = "the email address on that account"
    text = (f"Thanks. If that {label} is on our records, I've sent a 6-digit code to {where}. "
            "It's valid for 10 minutes; type it here when it arrives.")
    if result.knowledge_question:
        text += f" If you can't get to it, you can tell me {KNOWLEDGE[result.knowledge_question]} instead."
    return text


def claim(session: Session, conversation_id: str, entities: list[dict[str, Any]], text: str, *, secret: str,
          settings: VerificationSettings, sms: bool, email: bool = True,
          now: datetime | None = None) -> IdentityOutcome:
    """Answer 'my email is ...': start a verification, revealing nothing about the identifier."""
    now = now or utcnow()
    conv = store.get_conversation(session, conversation_id)
    if is_known(conv.customer):
        return IdentityOutcome(Reply(f"Thanks, {first_name(conv.customer)}. You're already signed in, so there's "
                                     "nothing more to confirm. How can I help?", "verify_known"))
    picked = pick_identifier(entities, text)
    if isinstance(picked, str):
        return IdentityOutcome(Reply(picked, "verify_invalid"))
    kind, value = picked
    assert kind in CLAIM_KINDS
    result = claim_identity(session, conversation_id, kind, value, secret=secret, now=now, settings=settings,
                            sms_available=sms, email_available=email)
    if result.status == "invalid":
        return IdentityOutcome(Reply(result.message, "verify_invalid"))
    if result.status == "already":
        return IdentityOutcome(Reply("You're already signed in, so there's nothing more to confirm.", "verify_known"))
    if result.status == "locked":
        return IdentityOutcome(Reply(
            "For your security, codes for that are locked after too many wrong answers. You can try again after "
            f"{when(session, result.retry_at)}.", "verify_locked"))
    if result.status == "too_many":
        return IdentityOutcome(Reply(
            "I've already sent several codes for that in the last few minutes. Please check your inbox (and spam "
            f"folder), or ask again after {when(session, result.retry_at)}.", "verify_wait"))
    return IdentityOutcome(Reply(_sent_text(result, sms, email), "verify_sent"), code=result.code)


def _welcome(session: Session, customer: Customer, now: datetime, conversation_id: str) -> str:
    """Carry on with what we now know: plan, open cases and their state; ask for nothing we hold."""
    profile = customer.profile or {}
    parts = [f"Thanks, {first_name(customer)}, that's you confirmed."]
    cases = list(store.open_cases(session, customer.id))
    if cases:
        parts.append(" ".join(describe_case(session, case_view(session, c, now)) for c in cases))
    else:
        if profile.get("plan"):
            parts.append(f"I can see you're on {profile['plan']} and have no open cases.")
        last = _last_conversation(session, customer.id, exclude=conversation_id)
        if last:
            parts.append(last)
    parts.append("What can I help you with?")
    return " ".join(parts)


def _last_conversation(session: Session, customer_id: str, exclude: str) -> str | None:
    """'Last time, on Saturday 3 October, you asked: "…"' for the customer's previous chat, if any."""
    from sqlalchemy import select

    from crm import Message, Sender

    history = store.customer_history(session, customer_id, exclude=exclude, limit=1)["conversations"]
    if not history:
        return None
    first = session.scalar(select(Message).where(Message.conversation_id == history[0].id,
                                                 Message.sender == Sender.CUSTOMER).order_by(Message.id).limit(1))
    if first is None:
        return None
    day = when(session, history[0].created_at).split(",")[0]
    text = " ".join(first.text.split())
    return f"Last time, on {day}, you asked: \u201c{text[:120]}{'…' if len(text) > 120 else ''}\u201d."


def answer(session: Session, conversation_id: str, text: str, *, secret: str, settings: VerificationSettings,
           now: datetime | None = None) -> IdentityOutcome:
    """Check a code (or the company's question) and, when right, carry on as the verified customer."""
    now = now or utcnow()
    result: AnswerResult = answer_challenge(session, conversation_id, text, secret=secret, now=now,
                                            settings=settings)
    if result.status == "verified":
        customer = session.get(Customer, result.customer_id)
        assert customer is not None
        meta: dict[str, Any] = {}
        cases = store.open_cases(session, customer.id)
        if cases:
            meta["case_number"] = cases[0].number
        return IdentityOutcome(Reply(_welcome(session, customer, now, conversation_id), "verified", meta),
                               verified_customer_id=customer.id, slots=profile_slots(customer))
    if result.status == "wrong":
        tries = "1 more try" if result.remaining == 1 else f"{result.remaining} more tries"
        return IdentityOutcome(Reply(f"That doesn't match what we have. You have {tries}.", "verify_wrong"))
    if result.status == "locked":
        return IdentityOutcome(Reply(
            "That's too many wrong answers, so for your security I've locked this for now. You can try again after "
            f"{when(session, result.retry_at)}, or ask for a person.", "verify_locked",
            {"options": ["Talk to a person"]}))
    if result.status == "expired":
        return IdentityOutcome(Reply("That code has expired. Tell me your email address, phone number or account "
                                     "number again and I'll send a new one.", "verify_expired"))
    if result.status == "malformed":
        return IdentityOutcome(Reply(result.message, "verify_malformed"))
    conv = store.get_conversation(session, conversation_id)
    if is_known(conv.customer):
        return IdentityOutcome(Reply("You're already signed in, so there's no code to enter. How can I help?",
                                     "verify_known"))
    return IdentityOutcome(Reply("I wasn't expecting a code. If you'd like me to look at your account, tell me "
                                 "your email address, phone number or account number first.", "verify_none"))


def technician_visit(session: Session, conversation_id: str, now: datetime | None = None) -> Reply:
    """Answer 'when is the technician coming?' from the booked visits, for a known customer."""
    now = now or utcnow()
    customer = store.get_conversation(session, conversation_id).customer
    if not is_known(customer):
        return Reply(VERIFY_OFFER, "verify_offer")
    visit = upcoming_visit(customer, now)
    if visit is None:
        return Reply("There's no engineer visit booked on your account at the moment. If you need one, I can help "
                     "you book it.", "visit", {"options": ["Book an engineer visit"]})
    window = f" The engineer will arrive between {visit.starts.astimezone(_zone(session)):%H:%M} and " \
             f"{visit.ends.astimezone(_zone(session)):%H:%M}." if visit.ends else ""
    case = f" for case {visit.case_number}" if visit.case_number else ""
    meta = {"case_number": visit.case_number} if visit.case_number else {}
    return Reply(f"Yes: an engineer visit is booked{case} on {when(session, visit.starts)}.{window}", "visit", meta)


def _zone(session: Session) -> Any:
    from zoneinfo import ZoneInfo

    from crm.customer_time import tenant_timezone

    return ZoneInfo(tenant_timezone(session))


def account_number(session: Session, conversation_id: str) -> Reply:
    """Answer 'what's my account number?' for a known customer only."""
    customer = store.get_conversation(session, conversation_id).customer
    if not is_known(customer):
        return Reply(VERIFY_OFFER, "verify_offer")
    number = (customer.profile or {}).get("account_number")
    if not number:
        return Reply("I can't see an account number on your records. A person from our team can find it for you.",
                     "account_number", {"options": ["Talk to a person"]})
    return Reply(f"Your account number is {number}.", "account_number")


# ---- sending the code -------------------------------------------------------------------------------

def code_email_text(code: CodeToSend, ttl_minutes: int) -> str:
    hello = f"Hello {code.customer_name.split()[0]}," if code.customer_name else "Hello,"
    return (f"{hello}\n\nYour Tidewater Fibre verification code is {code.code}.\n\n"
            f"Type it into the chat to confirm it's you. It expires in {ttl_minutes} minutes.\n"
            "If you didn't ask for this, you can ignore this email: nobody can use it without the code.\n")


@dataclass
class Channels:
    """The outbound senders, read once per runtime from FIRSTLINE_OUTBOUND_ settings."""

    mailer: Any
    sms: Any
    settings: VerificationSettings


def channels(rt: Runtime) -> Channels:
    found = rt.extras.get("identity_channels")
    if found is None:
        from outbound import OutboundSettings, mailer_from, sms_webhook_from

        out = OutboundSettings()
        found = Channels(mailer_from(out), sms_webhook_from(out), VerificationSettings())
        rt.extras["identity_channels"] = found
    return found  # type: ignore[no-any-return]


def send_code(db: Database, ch: Channels, code: CodeToSend,
              run: Callable[[Callable[[], None]], None] | None = None) -> None:
    """Send the code on its channel and record the delivery; by default on a worker thread."""

    def deliver() -> None:
        from outbound import EmailMessage

        try:
            if code.channel == "email" and ch.mailer is not None:
                d = ch.mailer.send(EmailMessage(code.to, "Your Tidewater Fibre verification code",
                                                code_email_text(code, ch.settings.code_ttl_minutes)))
            elif code.channel == "sms" and ch.sms is not None:
                d = ch.sms.send("verification.code", {"to": code.to, "text": (
                    f"Your Tidewater Fibre code is {code.code}. It expires in {ch.settings.code_ttl_minutes} min.")})
            else:
                log.warning("no %s channel configured: verification code not sent", code.channel)
                with db.session() as s:
                    record_delivery(s, code.challenge_id, {"ok": False, "error": f"no {code.channel} channel"})
                return
            with db.session() as s:
                record_delivery(s, code.challenge_id, {"ok": d.ok, "channel": d.channel, "attempts": d.attempts,
                                                       "error": d.error})
        except Exception:  # a worker thread must never die silently
            log.exception("sending verification code for challenge %s failed", code.challenge_id)

    (run or (lambda fn: threading.Thread(target=fn, daemon=True, name="verification-code").start()))(deliver)
