"""Test doubles for the parts that are slow or remote (unit tests only; e2e uses the real ones)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.dialogue import BotReply, DialogueUnavailable
from bot.runtime import Runtime
from core.db import Database
from core.events import EventBus
from core.settings import CoreSettings

KEYWORDS = {"password": "password_reset", "human": "request_human", "person": "request_human", "down": "outage",
            "bill": "billing_question", "hello": "greet", "hi": "greet"}


class FakeNLU:
    """Keyword intents; enough to drive the loop without a model."""

    intents = sorted({*KEYWORDS.values(), "nlu_fallback"})

    def __init__(self) -> None:
        self.calls: list[str] = []

    def parse(self, text: str) -> dict[str, Any]:
        self.calls.append(text)
        words = text.lower().split()
        intent = next((KEYWORDS[w] for w in words if w in KEYWORDS), "nlu_fallback")
        conf = 0.9 if intent != "nlu_fallback" else 0.2
        return {"text": text, "intent": {"name": intent, "confidence": conf},
                "intent_ranking": [{"name": intent, "confidence": conf}], "entities": [],
                "sentiment": {"compound": -0.6 if "angry" in words else 0.0, "frustration": 0.0, "signals": []}}


class FakeDialogue:
    """Answers every turn with scripted replies, or fails like a dead Rasa."""

    def __init__(self, replies: list[BotReply] | None = None, fail: bool = False) -> None:
        self.replies = replies if replies is not None else [BotReply("Hello from the bot")]
        self.fail = fail
        self.sent: list[tuple[str, str]] = []
        self.metadata: list[dict[str, Any]] = []

    def send(self, sender_id: str, text: str, metadata: dict[str, Any] | None = None) -> list[BotReply]:
        self.sent.append((sender_id, text))
        self.metadata.append(dict(metadata or {}))
        if self.fail:
            raise DialogueUnavailable("Rasa unreachable: ConnectError")
        return list(self.replies)

    def healthy(self) -> bool:
        return not self.fail


@dataclass
class FakeDecision:
    handoff: bool
    trigger: str | None = None
    reason: str | None = None


class FakeGate:
    """Hands off when the latest customer intent is request_human or Rasa is down."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.handoffs: list[tuple[str, str]] = []

    def check(self, session: Any, conversation_id: str, *, dialogue_available: bool) -> FakeDecision:
        from crm import Sender, store

        msgs = [m for m in store.list_messages(session, conversation_id) if m.sender == Sender.CUSTOMER]
        if not dialogue_available:
            return FakeDecision(True, "dialogue_unavailable", "Rasa unreachable")
        if msgs and msgs[-1].intent == "request_human":
            return FakeDecision(True, "asked_for_human", f"Customer asked for a person: '{msgs[-1].text}'")
        return FakeDecision(False)

    def hand_off(self, session: Any, conversation_id: str, decision: FakeDecision) -> str:
        from crm import ConversationStatus, Sender, store

        self.handoffs.append((conversation_id, decision.trigger or ""))
        store.set_status(session, conversation_id, ConversationStatus.QUEUED, handoff_reason=decision.reason)
        conv = store.get_conversation(session, conversation_id)
        store.add_message(session, conv, Sender.SYSTEM, "A person will join you shortly.")
        return "queued"

    def request_human(self, session: Any, conversation_id: str, text: str) -> None:
        self.hand_off(session, conversation_id, FakeDecision(True, "asked_for_human", text))


def runtime(settings: CoreSettings, db: Database, *, dialogue: Any = None, kb: Any = None) -> Runtime:
    rt = Runtime(settings=settings, db=db, bus=EventBus(), nlu=FakeNLU(), dialogue=dialogue or FakeDialogue(), kb=kb)
    rt.extras["escalation_gate"] = FakeGate(rt)
    return rt
