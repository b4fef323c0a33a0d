"""After earlier misses, an answer also offers a person: the customer has had a rough start (issue 13)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.assist import Reply
from crm import Sender, store

# Kinds of bot reply that mean the bot did not understand or had no answer (escalation.turns.NOT_UNDERSTOOD).
MISSES = {"fallback", "no_answer", "clarify", "dialogue_down"}
OFFER = "If that doesn't sort it, I can bring in a person from our team. Just say so."
NOT_A_REQUEST = (
    "Thanks, got that. What can I help you with today? If you'd like a person from our team, just say so."
)


def earlier_misses(session: Session, conversation_id: str) -> int:
    """Count the bot's replies since it last took the conversation that were misses."""
    from escalation import since_bot_resumed

    messages = since_bot_resumed(store.list_messages(session, conversation_id))
    return sum(1 for m in messages if m.sender in (Sender.BOT, Sender.SYSTEM) and (m.meta or {}).get("kind") in MISSES)


def with_person_offer(session: Session, conversation_id: str, reply: Reply) -> Reply:
    """Add the offer of a person to an answer that follows a miss; other replies are returned as they are."""
    if reply.kind != "kb_answer" or earlier_misses(session, conversation_id) == 0:
        return reply
    options = [*reply.meta.get("options", []), "Talk to a person"]
    return Reply(f"{reply.text}\n\n{OFFER}", reply.kind, {**reply.meta, "options": options, "person_offered": True})
