"""Hand the conversation to a person when the dialogue asks for it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions.base import FirstlineAction
from bot.assist import Reply
from bot.runtime import Runtime


class ActionHandoff(FirstlineAction):
    def name(self) -> str:
        return "action_handoff"

    def reply(self, rt: Runtime, tracker: Tracker) -> tuple[Reply | None, list[dict[str, Any]]]:
        # The escalation service records and announces the handoff message itself, so the
        # action says nothing (saying it twice would show the customer two messages).
        gate = rt.extras["escalation_gate"]
        text = (tracker.latest_message or {}).get("text") or ""
        from escalation.triggers import explicit_request

        if not explicit_request(text):
            # The model leaned towards "a person" but the words do not ask for one (an email address,
            # a name): acknowledge and ask what they need, never hand off on it (issue 13).
            from bot.recovery import NOT_A_REQUEST

            return Reply(NOT_A_REQUEST, "prompt", {"options": ["Talk to a person"]}), []
        with rt.db.session() as s:
            gate.request_human(s, tracker.sender_id, text)
        return None, []
