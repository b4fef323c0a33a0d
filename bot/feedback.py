"""'Did this help?': record the customer's verdict on a bot answer and act on a 'no'."""

from __future__ import annotations

from typing import Any

from bot.runtime import Runtime
from core.events import events
from crm import ConversationStatus, Message, Sender, store

HELPED_TEXT = "Great, glad that helped. Anything else I can do for you?"
NOT_HELPED_TEXT = "Sorry that didn't help. Could you tell me a bit more, or shall I bring in a person from our team?"


def record_feedback(rt: Runtime, gate: Any, conversation_id: str, message_id: int, helpful: bool) -> dict[str, Any]:
    """Record the verdict once; a 'no' may hand the conversation to a person."""
    from bot.loop import publish_messages

    with rt.db.session() as s:
        m = s.get(Message, message_id)
        if m is None or m.conversation_id != conversation_id or m.sender != Sender.BOT or not m.meta.get("feedback"):
            raise LookupError("no answer with that id in this conversation")
        if "helpful" in m.meta:  # already answered: clicking twice changes nothing
            return {"messages": [], "recorded": False}
        m.meta = {**m.meta, "helpful": helpful}
        conv = store.get_conversation(s, conversation_id)
        human_owned = conv.status in ConversationStatus.HUMAN_OWNED
    if human_owned:  # a person has the chat: note the verdict (for the gaps report), the bot stays silent
        rt.bus.emit(events.ANSWER_RATED, conversation_id, message_id=message_id, helpful=helpful,
                    article_id=m.meta.get("article_id"))
        return {"messages": [], "recorded": True}
    with rt.db.session() as s:
        conv = store.get_conversation(s, conversation_id)
        reply, _ = store.add_message(
            s, conv, Sender.BOT, HELPED_TEXT if helpful else NOT_HELPED_TEXT,
            meta={"kind": "rating", "helpful": helpful, "message_id": message_id,
                  "article_id": m.meta.get("article_id"),
                  **({} if helpful else {"options": ["Talk to a person"]})},
        )
        first_new = reply.id
    publish_messages(rt.bus, [reply])
    rt.bus.emit(events.ANSWER_RATED, conversation_id, message_id=message_id, helpful=helpful,
                article_id=m.meta.get("article_id"))
    if not helpful:
        with rt.db.session() as s:
            decision = gate.check(s, conversation_id, dialogue_available=True)
            if decision is not None and decision.handoff:
                gate.hand_off(s, conversation_id, decision)
    with rt.db.session() as s:
        msgs = store.list_messages(s, conversation_id, after_id=first_new - 1)
        return {"messages": [store.message_dict(x) for x in msgs], "recorded": True}
