"""The shared base of Firstline actions (abstract, so rasa-sdk does not register it)."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.assist import Reply
from bot.runtime import Runtime, get_runtime


class FirstlineAction(Action, metaclass=ABCMeta):
    @abstractmethod
    def name(self) -> str:
        """Return the action's name in the domain."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        rt = get_runtime()
        reply, events = self.reply(rt, tracker)
        if reply is not None:
            dispatcher.utter_message(json_message=reply.as_json())
        return events

    @abstractmethod
    def reply(self, rt: Runtime, tracker: Tracker) -> tuple[Reply | None, list[dict[str, Any]]]:
        """Return what to say (or None) and the Rasa events to apply."""
