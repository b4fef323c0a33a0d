"""An inbound contact becomes a conversation: customer by identity, one message, urgency, straight to a person."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from channels.base import Contact
from channels.models import ChannelPost
from channels.urgency import Urgency, score
from core.db import Database
from core.events import Event, EventBus, events
from crm import Customer, Handoff, Sender, store

log = logging.getLogger(__name__)


class Parser(Protocol):
    def parse(self, text: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Received:
    conversation_id: str
    duplicate: bool
    priority: int
    urgency: dict[str, Any]
    agent: str | None = None
    case_number: str | None = None


def _customer(session: Any, contact: Contact) -> Customer:
    customer = store.find_customer(session, contact.identity_kind, contact.identity_value)
    if customer is None:
        customer = store.get_or_create_customer(session, None, name=contact.display_name)
        store.add_identity(session, customer, contact.identity_kind, contact.identity_value)
    customer.profile = {**(customer.profile or {}), contact.identity_kind: contact.display_name,
                        "followers": contact.reach}
    return customer


def _existing(db: Database, contact: Contact) -> Received | None:
    with db.session() as s:
        post = s.scalar(select(ChannelPost).where(ChannelPost.channel == contact.channel,
                                                  ChannelPost.external_id == contact.external_id))
        if post is None:
            return None
        conv = store.get_conversation(s, post.conversation_id)
        return Received(post.conversation_id, True, conv.priority, dict(post.urgency))


def receive(db: Database, bus: EventBus, nlu: Parser, contact: Contact, *, team: str | None = None,
            escalation_settings: Any = None) -> Received:
    """Store the contact once (a repeated id returns the first), score it, and hand it to a named person."""
    from escalation import Decision, hand_off

    prior = _existing(db, contact)
    if prior is not None:
        return prior
    try:
        parse = nlu.parse(contact.text)
    except Exception:  # the post must be heard whatever the NLU does
        log.exception("NLU failed for a %s post", contact.channel)
        parse = {"intent": None, "entities": [], "text": contact.text, "error": "nlu_failed"}
    compound = float((parse.get("sentiment") or {}).get("compound") or 0.0)
    urgency: Urgency = score(contact.text, compound, contact.reach)
    priority = max(1, urgency.score)  # any public post ranks above ordinary chats (priority 0)
    meta = {"kind": f"{contact.channel}_post", "url": contact.url, "post_id": contact.given_id,
            "followers": contact.reach, "posted_at": contact.posted_at.isoformat() if contact.posted_at else None}
    try:
        with db.session() as s:
            customer = _customer(s, contact)
            conv = store.start_conversation(s, customer, channel=contact.channel)
            conv.priority = priority
            s.add(ChannelPost(channel=contact.channel, external_id=contact.external_id, conversation_id=conv.id,
                              author=contact.display_name, url=contact.url, urgency=urgency.as_dict(),
                              posted_at=contact.posted_at))
            s.flush()
            msg, _ = store.add_message(s, conv, Sender.CUSTOMER, contact.text, parse=parse, meta=meta)
            cid = conv.id
    except IntegrityError:  # the same post, sent twice at once: the other request stored it
        prior = _existing(db, contact)
        if prior is None:
            raise
        return prior
    bus.emit(events.CONVERSATION_STARTED, cid, channel=contact.channel)
    bus.publish(Event(events.MESSAGE_CREATED, store.message_dict(msg), conversation_id=cid))
    bus.emit(events.POST_RECEIVED, cid, channel=contact.channel, priority=priority, urgency=urgency.as_dict())
    reason = f"Public post by {contact.display_name}: {urgency.explanation} (urgency {urgency.score})"
    public = {"author": contact.display_name, "url": contact.url, "post_id": contact.given_id,
              "posted_at": meta["posted_at"], "urgency": urgency.as_dict()}
    with db.session() as s:
        result = hand_off(s, cid, Decision(True, f"{contact.channel}_post", reason), bus, team=team,
                          settings=escalation_settings)
        handoff = s.scalar(select(Handoff).where(Handoff.conversation_id == cid).order_by(Handoff.id.desc()))
        if handoff is not None:  # the same packet as any handoff, plus where the post is and why it ranks
            handoff.packet = {**(handoff.packet or {}), "public_post": public}
    return Received(cid, False, priority, urgency.as_dict(),
                    result.agent_name if result else None, result.case_number if result else None)
