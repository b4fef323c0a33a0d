"""Greeting, case status and fallback actions."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import FirstlineAction
from actions.knowledge import customer_segment, offer_person_after_misses, report_failure
from bot import assist
from bot.assist import Reply
from bot.runtime import Runtime, get_runtime


class ActionGreet(FirstlineAction):
    def name(self) -> str:
        return "action_greet"

    def reply(self, rt: Runtime, tracker: Tracker) -> tuple[Reply | None, list[dict[str, Any]]]:
        with rt.db.session() as s:
            reply = assist.greeting(s, tracker.sender_id)
            from bot.identity import profile_slots
            from crm import store

            customer = store.get_conversation(s, tracker.sender_id).customer
            slots = [SlotSet("customer_id", customer.id), SlotSet("segment", customer.segment)]
            if customer.name:
                slots.append(SlotSet("customer_name", customer.name))
            # What the profile of a known customer holds is never asked for again.
            known = profile_slots(customer)
            slots += [SlotSet(k, v) for k, v in known.items() if k not in ("customer_id", "segment", "customer_name")]
        return reply, slots


class ActionCaseStatus(FirstlineAction):
    def name(self) -> str:
        return "action_case_status"

    def reply(self, rt: Runtime, tracker: Tracker) -> tuple[Reply | None, list[dict[str, Any]]]:
        number = next(tracker.get_latest_entity_values("case_number"), None) or tracker.get_slot("case_number")
        with rt.db.session() as s:
            return assist.case_status(s, tracker.sender_id, number), []


class ActionFallback(FirstlineAction):
    def name(self) -> str:
        return "action_fallback"

    def reply(self, rt: Runtime, tracker: Tracker) -> tuple[Reply | None, list[dict[str, Any]]]:
        parse = tracker.latest_message or {}
        query = parse.get("text") or ""
        reply = assist.answer_or_fallback(rt.kb, query, customer_segment(rt, tracker), parse)
        report_failure(rt, tracker, query, reply)
        return offer_person_after_misses(rt, tracker, reply), []


class ActionOutOfScope(FirstlineAction):
    """A message the NLU calls out of scope tries the knowledge base before declining (issue 13):
    a terse or shouted follow-up ("ORANGE LIGHT. FLASHING. WHAT DOES IT MEAN") is often answerable."""

    def name(self) -> str:
        return "action_out_of_scope"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        rt = get_runtime()
        reply, events = self.reply(rt, tracker)
        if reply is None:
            dispatcher.utter_message(response="utter_out_of_scope")
            return events
        dispatcher.utter_message(json_message=reply.as_json())
        return events

    def reply(self, rt: Runtime, tracker: Tracker) -> tuple[Reply | None, list[dict[str, Any]]]:
        query = (tracker.latest_message or {}).get("text") or ""
        reply = assist.answer(rt.kb, query, customer_segment(rt, tracker))
        if reply.kind != "kb_answer":  # only a confident answer: out of scope is the likelier reading
            return None, []
        return offer_person_after_misses(rt, tracker, reply), []
