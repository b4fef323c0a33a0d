"""The handoff packet: everything the agent needs so the customer never repeats themselves."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import Agent, Message, Sender, store
from escalation.turns import Decision

INTENT_LABELS = {
    "outage": "has no service / an outage",
    "slow_internet": "has slow or dropping internet",
    "tv_problem": "has a TV problem",
    "billing_question": "has a question about their bill",
    "payment_arrangement": "needs more time to pay",
    "change_plan": "wants to change plan",
    "cancel_service": "wants to cancel",
    "technician_appointment": "needs an engineer appointment",
    "case_status": "is chasing a case or order",
    "password_reset": "can't get into their account",
    "moving_house": "is moving home",
    "complaint": "wants to complain",
    "request_human": "asked for a person",
}
IGNORED = {
    "greet",
    "goodbye",
    "thanks",
    "affirm",
    "deny",
    "bot_challenge",
    "request_human",
    "nlu_fallback",
    "out_of_scope",
}


def summarise(customer_msgs: list[Message], entities: list[dict[str, Any]]) -> str:
    """Return an extractive one-line summary: what they want, their key words, what they mentioned."""
    substantive = [m for m in customer_msgs if m.intent not in IGNORED] or customer_msgs
    if not substantive:
        return "No question yet."
    main = max(substantive, key=lambda m: ((m.confidence or 0) > 0.5, len(m.text)))
    want = INTENT_LABELS.get(main.intent or "", "needs help")
    mentioned = ", ".join(f"{e['entity']} {e['value']}" for e in entities[:4])
    text = " ".join(main.text.split())
    return f'Customer {want}: "{text[:160]}"' + (f" (mentioned {mentioned})" if mentioned else "")


VERIFIED_BY = {
    "email_code": "one-time code sent to the email address on file",
    "sms_code": "one-time code sent by text to the phone on file",
    "postcode": "the postcode on the account",
    "account_last4": "the last four digits of the account number",
}


def verified_identity(session: Session, customer: Any) -> str:
    """How we know who this is: signed in on the company's site, verified in the chat (how, when), or not at all."""
    from crm.customer_time import customer_time, tenant_timezone
    from crm.verification import latest_verification

    done = latest_verification(session, customer.id)
    if done is not None and done.verified_at is not None:
        how = VERIFIED_BY.get(done.verified_method or "", done.verified_method or "verified")
        at = customer_time(done.verified_at, tenant_timezone(session))
        return f"{done.claim_kind.replace('_', ' ')} verified by {how}, {at}"
    if customer.external_id is not None:
        return "signed in on the company's site (verified identity hash)"
    return "not verified (anonymous visitor)"


def build_packet(session: Session, conversation_id: str, decision: Decision) -> dict[str, Any]:
    conv = store.get_conversation(session, conversation_id)
    c = conv.customer
    msgs = list(store.list_messages(session, conversation_id))
    customer_msgs = [m for m in msgs if m.sender == Sender.CUSTOMER]
    entities: list[dict[str, Any]] = []
    for m in customer_msgs:
        for e in m.entities or []:
            item = {"entity": e.get("entity"), "value": e.get("value")}
            if item not in entities:
                entities.append(item)
    articles = []
    for m in msgs:
        meta = m.meta or {}
        if meta.get("kind") == "kb_answer":
            articles.append(
                {
                    "article_id": meta.get("article_id"),
                    "title": meta.get("title"),
                    "score": meta.get("score"),
                    "helpful": meta.get("helpful"),
                }
            )
    history = store.customer_history(session, c.id, exclude=conv.id, limit=5)
    earlier = []
    for h in history["conversations"]:
        first = session.scalar(
            select(Message)
            .where(Message.conversation_id == h.id, Message.sender == Sender.CUSTOMER)
            .order_by(Message.id)
        )
        agent = session.get(Agent, h.assigned_agent_id) if h.assigned_agent_id else None
        earlier.append(
            {
                "id": h.id,
                "started": h.created_at.date().isoformat(),
                "status": h.status,
                "agent": agent.display_name if agent else None,
                "summary": (first.text[:140] if first else ""),
            }
        )
    profile = c.profile or {}
    return {
        "reason": decision.reason,
        "trigger": decision.trigger,
        "summary": summarise(customer_msgs, entities),
        "customer": {
            "name": c.name or "Visitor (not signed in)",
            "customer_id": c.external_id,
            "email": c.email,
            "phone": c.phone,
            "segment": c.segment,
            "vip": c.vip,
            "plan": profile.get("plan"),
            "account_number": profile.get("account_number"),
            "identities": [f"{i.kind}: {i.value}" + (" (verified)" if i.verified else "") for i in c.identities],
            "verified": verified_identity(session, c),
        },
        "open_cases": [
            {
                "number": k.number,
                "title": k.title,
                "status": k.status,
                "promised_by": k.promised_by.isoformat() if k.promised_by else None,
            }
            for k in history["open_cases"]
        ],
        "earlier_conversations": earlier,
        "intents": [
            {"turn": i + 1, "intent": m.intent, "confidence": round(m.confidence or 0, 3)}
            for i, m in enumerate(customer_msgs)
        ],
        "sentiment_curve": [round(m.sentiment or 0.0, 3) for m in customer_msgs],
        "entities": entities,
        "articles": articles,
        "transcript": [{"sender": m.sender, "text": m.text, "at": m.created_at.isoformat()} for m in msgs],
        "channel": conv.channel,
    }
