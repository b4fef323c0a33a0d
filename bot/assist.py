"""What the bot says in its custom actions: plain functions over the history and the knowledge base.

Each returns a Reply; actions/ only adapts them to rasa-sdk. Nothing here asks the customer for
something the history already holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from crm import store

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


def when(dt: datetime | None) -> str:
    return dt.strftime("%a %d %b, %H:%M UTC") if dt else "soon"


def greeting(session: Session, conversation_id: str) -> Reply:
    """Greet by name and mention open cases when the customer is known."""
    conv = store.get_conversation(session, conversation_id)
    customer = conv.customer
    if not customer.name:
        return Reply("Hi! I'm Tidewater's virtual assistant. How can I help you today?", "greeting")
    first = customer.name.split()[0]
    cases = store.open_cases(session, customer.id)
    if cases:
        case = cases[0]
        text = (
            f"Hi {first}, welcome back. I can see case {case.number} ({case.title}) is still open, "
            f"and we promised you an update by {when(case.promised_by)}. "
            "Is that what you're getting in touch about, or is it something new?"
        )
        return Reply(text, "greeting", {"case_number": case.number})
    return Reply(f"Hi {first}, welcome back. How can I help you today?", "greeting")


def case_status(session: Session, conversation_id: str, case_number: str | None) -> Reply:
    """Report on the customer's own case (never another customer's)."""
    conv = store.get_conversation(session, conversation_id)
    customer = conv.customer
    # Said earlier (to the bot or to a person before a hand back): never ask for it again.
    case_number = case_number or store.latest_entity(session, conversation_id, "case_number")
    if case_number:
        case = store.find_case(session, case_number)
        if case is None or case.customer_id != customer.id:
            return Reply(
                f"I can't find case {case_number.upper()} on your account. If you were given it on another "
                "account, a person from our team can look it up for you.",
                "case_status",
            )
        cases = [case]
    else:
        cases = list(store.open_cases(session, customer.id))
        if not cases:
            if customer.external_id is None:
                return Reply(
                    "Could you give me your case number? It starts with CS-, for example CS-10423.",
                    "case_status",
                )
            return Reply("You have no open cases with us at the moment. Is there something new I can help with?",
                         "case_status")
    lines = []
    for c in cases:
        state = "open" if c.status == "open" else "closed"
        promise = f"; we promised an update by {when(c.promised_by)}" if c.status == "open" and c.promised_by else ""
        lines.append(f"Case {c.number} ({c.title}) is {state}{promise}.")
        if c.notes:
            lines.append(f"Latest note: {c.notes}")
    return Reply(" ".join(lines), "case_status", {"case_number": cases[0].number})


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
