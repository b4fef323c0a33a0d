"""What the bot says in its custom actions: plain functions over the history and the knowledge base.

Each returns a Reply; actions/ only adapts them to rasa-sdk. Nothing here asks the customer for
something the history already holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.db import utcnow
from crm import store
from crm.customer_time import customer_time, tenant_timezone
from crm.history import CaseView, case_view
from crm.identity import is_known

INTENT_LABELS = {
    "outage": "no service / an outage",
    "slow_internet": "slow or dropping internet",
    "tv_problem": "a TV problem",
    "billing_question": "a question about your bill",
    "payment_arrangement": "more time to pay",
    "change_plan": "changing your plan",
    "cancel_service": "cancelling",
    "technician_appointment": "an engineer appointment",
    "case_status": "the status of a case or order",
    "password_reset": "resetting your password",
    "moving_house": "moving home",
    "complaint": "making a complaint",
}


@dataclass
class Reply:
    text: str
    kind: str
    meta: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "kind": self.kind, **self.meta}


VERIFY_OFFER = (
    "I can check that for you once I know it's you. What's the email address, phone number or account number "
    "on your account? I'll send a one-time code to the email address or phone we have on file."
)


def when(session: Session, dt: datetime | None) -> str:
    """A time as every customer reads it: 'Thursday 3 December, 07:30 (UK time)' in the tenant's zone."""
    return customer_time(dt, tenant_timezone(session)) if dt else "soon"


def promise_text(session: Session, view: CaseView) -> str:
    """What we promised on an open case, and an apology when that time has passed."""
    if view.status != "open" or view.promised_by is None:
        return ""
    if view.overdue:
        return (f"We promised you an update by {when(session, view.promised_by)}. That time has passed and I'm "
                "sorry we haven't got back to you yet.")
    return f"We promised you an update by {when(session, view.promised_by)}."


def greeting(session: Session, conversation_id: str, now: datetime | None = None) -> Reply:
    """Greet by name and mention open cases when the customer is known."""
    now = now or utcnow()
    conv = store.get_conversation(session, conversation_id)
    customer = conv.customer
    if not customer.name:
        return Reply("Hi! I'm Tidewater's virtual assistant. How can I help you today?", "greeting")
    first = customer.name.split()[0]
    cases = store.open_cases(session, customer.id)
    if cases:
        view = case_view(session, cases[0], now)
        promise = promise_text(session, view)
        text = (
            f"Hi {first}, welcome back. I can see case {view.number} ({view.title}) is still open."
            + (f" {promise}" if promise else "")
            + " Is that what you're getting in touch about, or is it something new?"
        )
        return Reply(text, "greeting", {"case_number": view.number})
    return Reply(f"Hi {first}, welcome back. How can I help you today?", "greeting")


def describe_case(session: Session, view: CaseView) -> str:
    """One case for the customer: number, status, the last thing a person wrote, the promised time."""
    parts = [f"Case {view.number} ({view.title}) is {'open' if view.status == 'open' else 'closed'}."]
    if view.last_person_text:
        who = view.last_person_name or "our team"
        at = f" on {when(session, view.last_person_at)}" if view.last_person_at else ""
        parts.append(f"The last update from {who}{at}: \u201c{view.last_person_text}\u201d")
    promise = promise_text(session, view)
    if promise:
        parts.append(promise)
    return " ".join(parts)


def case_status(session: Session, conversation_id: str, case_number: str | None, now: datetime | None = None) -> Reply:
    """Report on the customer's own cases (never another customer's, never internal notes).

    A visitor who is not known yet may still hear about cases opened in their own chats; for anything
    else they are offered verification (never told whether a case exists).
    """
    now = now or utcnow()
    conv = store.get_conversation(session, conversation_id)
    customer = conv.customer
    known = is_known(customer)
    # Said earlier (to the bot or to a person before a hand back): never ask for it again.
    case_number = case_number or store.latest_entity(session, conversation_id, "case_number")
    if case_number:
        case = store.find_case(session, case_number)
        if case is None or case.customer_id != customer.id:
            if not known:
                return Reply(VERIFY_OFFER, "verify_offer")
            return Reply(
                f"I can't find case {case_number.upper()} on your account. If you were given it on another "
                "account, a person from our team can look it up for you.",
                "case_status",
            )
        cases = [case]
    else:
        cases = list(store.open_cases(session, customer.id))
        if not cases:
            if not known:
                return Reply(VERIFY_OFFER, "verify_offer")
            return Reply("You have no open cases with us at the moment. Is there something new I can help with?",
                         "case_status")
    views = [case_view(session, c, now) for c in cases]
    meta: dict[str, Any] = {"case_number": views[0].number}
    if any(v.overdue for v in views):
        meta["options"] = ["Talk to a person"]
    return Reply(" ".join(describe_case(session, v) for v in views), "case_status", meta)


def answer(kb: Any, query: str, segment: str) -> Reply:
    """Answer from the knowledge base, ask one clarifying question, or admit there is no answer."""
    if kb is None:
        return no_answer()
    result = kb.answer(query, segment=segment)
    if result.kind == "answer":
        text = f"{result.text}\n\nMore in: {result.title}"
        return Reply(text, "kb_answer", {
            "article_id": result.article_id, "title": result.title, "url": result.url,
            "score": round(float(result.score), 4), "feedback": True,
        })
    if result.kind == "clarify" and result.clarify_options:
        options = list(result.clarify_options)[:3]
        text = "I want to get this right. Is your question about " + " or ".join(f"“{o}”" for o in options) + "?"
        return Reply(text, "clarify", {"options": options, "score": round(float(result.score), 4)})
    return no_answer(score=float(result.score))


def no_answer(score: float | None = None) -> Reply:
    meta: dict[str, Any] = {"options": ["Talk to a person"]}
    if score is not None:
        meta["score"] = round(score, 4)
    return Reply(
        "I don't have a good answer for that, and I'd rather not guess. Could you put it another way, "
        "or shall I bring in a person from our team?",
        "no_answer",
        meta,
    )


def answer_or_fallback(kb: Any, query: str, segment: str, parse: dict[str, Any]) -> Reply:
    """For a message no intent fits: answer from the knowledge base when it holds a good answer
    (or ask which of two close articles is meant); otherwise say honestly it was not understood.

    The knowledge base grows faster than the intents do (new articles, drafts from the gaps report),
    so un-modelled questions try it first.
    """
    reply = answer(kb, query, segment)
    if reply.kind != "no_answer":
        return reply
    understood = fallback(parse)
    if "score" in reply.meta:
        understood.meta["score"] = reply.meta["score"]
    return understood


def fallback(parse: dict[str, Any]) -> Reply:
    """Say honestly that the message wasn't understood, offering the two likeliest topics."""
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") in INTENT_LABELS][:2]
    if len(ranking) == 2 and (ranking[0].get("confidence") or 0) > 0.1:
        options = [INTENT_LABELS[r["name"]] for r in ranking]
        return Reply(
            f"Sorry, I'm not sure I followed. Is it about {options[0]} or {options[1]}? "
            "Or tell me in other words — or ask for a person at any time.",
            "fallback",
            {"options": [*options, "Talk to a person"]},
        )
    return Reply(
        "Sorry, I didn't understand that. Could you say it another way? You can also ask for a person at any time.",
        "fallback",
        {"options": ["Talk to a person"]},
    )
