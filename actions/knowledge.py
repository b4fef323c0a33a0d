"""Answer level-one questions from the knowledge base."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions.base import FirstlineAction
from bot import assist
from bot.assist import Reply
from bot.runtime import Runtime
from core.events import events


def customer_segment(rt: Runtime, tracker: Tracker) -> str:
    """Return the segment slot, or the customer's segment from the records."""
    segment = tracker.get_slot("segment")
    if not segment:
        from crm import store

        with rt.db.session() as s:
            segment = store.get_conversation(s, tracker.sender_id).customer.segment
    return str(segment or "residential")


def report_failure(rt: Runtime, tracker: Tracker, query: str, reply: Reply) -> None:
    """Announce that retrieval gave no answer (clarify, no answer, not understood)."""
    if reply.kind != "kb_answer":
        rt.bus.emit(events.RETRIEVAL_FAILED, tracker.sender_id, query=query, kind=reply.kind,
                    score=reply.meta.get("score"))


def offer_person_after_misses(rt: Runtime, tracker: Tracker, reply: Reply) -> Reply:
    """An answer after the bot missed earlier also offers a person."""
    from bot.recovery import with_person_offer

    with rt.db.session() as s:
        return with_person_offer(s, tracker.sender_id, reply)


class ActionAnswer(FirstlineAction):
    def name(self) -> str:
        return "action_answer"

    def reply(self, rt: Runtime, tracker: Tracker) -> tuple[Reply | None, list[dict[str, Any]]]:
        query = (tracker.latest_message or {}).get("text") or ""
        reply = assist.answer(rt.kb, query, customer_segment(rt, tracker))
        report_failure(rt, tracker, query, reply)
        return offer_person_after_misses(rt, tracker, reply), []
