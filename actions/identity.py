"""Identity actions: a visitor says who they are, proves it; questions about their own account."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.base import FirstlineAction
from bot import identity
from bot.assist import Reply
from bot.runtime import Runtime


def _slots(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [SlotSet(k, v) for k, v in values.items()]


class ActionIdentify(FirstlineAction):
    def name(self) -> str:
        return "action_identify"

    def reply(self, rt: Runtime, tracker: Tracker) -> tuple[Reply | None, list[dict[str, Any]]]:
        ch = identity.channels(rt)
        latest = tracker.latest_message or {}
        with rt.db.session() as s:
            outcome = identity.claim(s, tracker.sender_id, list(latest.get("entities") or []), latest.get("text") or "",
                                     secret=rt.settings.secret_key, settings=ch.settings, sms=ch.sms is not None,
                                     email=ch.mailer is not None)
        if outcome.code is not None:  # after the claim committed
            identity.send_code(rt.db, ch, outcome.code)
        return outcome.reply, []


class ActionVerifyIdentity(FirstlineAction):
    def name(self) -> str:
        return "action_verify_identity"

    def reply(self, rt: Runtime, tracker: Tracker) -> tuple[Reply | None, list[dict[str, Any]]]:
        ch = identity.channels(rt)
        with rt.db.session() as s:
            outcome = identity.answer(s, tracker.sender_id, (tracker.latest_message or {}).get("text") or "",
                                      secret=rt.settings.secret_key, settings=ch.settings)
        if outcome.verified_customer_id is not None:
            from core.events import events

            rt.bus.emit(events.CUSTOMER_VERIFIED, tracker.sender_id, customer_id=outcome.verified_customer_id)
        return outcome.reply, _slots(outcome.slots)


class ActionTechnicianVisit(FirstlineAction):
    def name(self) -> str:
        return "action_technician_visit"

    def reply(self, rt: Runtime, tracker: Tracker) -> tuple[Reply | None, list[dict[str, Any]]]:
        with rt.db.session() as s:
            return identity.technician_visit(s, tracker.sender_id), []


class ActionAccountNumber(FirstlineAction):
    def name(self) -> str:
        return "action_account_number"

    def reply(self, rt: Runtime, tracker: Tracker) -> tuple[Reply | None, list[dict[str, Any]]]:
        with rt.db.session() as s:
            return identity.account_number(s, tracker.sender_id), []
