"""Adapter from the conversation loop to the escalation package (policy + ownership service)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bot.runtime import Runtime
from crm import store

DISSATISFACTION_DATA = Path(__file__).resolve().parents[1] / "data" / "dissatisfaction" / "dialogues.jsonl"


def is_verification_turn(turn: Any) -> bool:
    """True when the bot answered this turn only with identity-verification replies."""
    kinds = turn.bot_reply_kinds
    return bool(kinds) and all(k.startswith("verif") for k in kinds)


class Gate:
    def __init__(self, rt: Runtime, settings: Any = None) -> None:
        from core.embedding_cache import CachedEmbedder
        from escalation import EscalationSettings

        self.rt = rt
        self.settings = settings or EscalationSettings()
        self.dissatisfaction: Any = None  # escalation.dissatisfaction.DissatisfactionModel, once loaded

    def load_dissatisfaction(self, model_dir: Path, progress: Callable[[str], None] | None = None,
                             data: Path = DISSATISFACTION_DATA) -> None:
        """Load (or train once, like the NLU model) the learned dissatisfaction estimate."""
        from escalation.dissatisfaction import load_or_train

        if self.rt.embedder is None or not data.exists():
            return
        self.dissatisfaction = load_or_train(data, model_dir / "dissatisfaction", self.rt.nlu.parse, self.rt.embedder,
                                             progress)
        # the policy re-reads the last answered questions every check: their vectors are kept
        self.embedder = CachedEmbedder(rt.embedder) if rt.embedder is not None else None

    def check(self, session: Session, conversation_id: str, *, dialogue_available: bool) -> Any:
        """Assess the conversation's latest customer turn; return the escalation Decision."""
        from escalation import CustomerFacts, assess, since_bot_resumed, turns_from_messages

        conv = store.get_conversation(session, conversation_id)
        turns = turns_from_messages(since_bot_resumed(store.list_messages(session, conversation_id)))
        if not turns:
            return None
        # Typing a code or an email to prove who you are is not asking a question: a second try at a code
        # is no "rephrase loop", and it must not count towards one later (issue 10).
        turns = [t for t in turns[:-1] if not is_verification_turn(t)] + turns[-1:]
        customer = CustomerFacts(
            vip=conv.customer.vip,
            open_cases=len(store.open_cases(session, conv.customer_id)),
            known=conv.customer.external_id is not None,
        )
        return assess(
            turns[:-1],
            turns[-1],
            customer=customer,
            settings=self.settings,
            embedder=self.embedder,
            dialogue_available=dialogue_available,
            dissatisfaction=self.dissatisfaction,
        )

    def hand_off(self, session: Session, conversation_id: str, decision: Any) -> Any:
        from escalation import hand_off

        return hand_off(session, conversation_id, decision, self.rt.bus, settings=self.settings)

    def request_human(self, session: Session, conversation_id: str, text: str) -> Any:
        """Hand off because the dialogue asked for a person (the Rasa rule for request_human)."""
        from escalation import Decision
        from escalation.triggers import quote

        return self.hand_off(
            session, conversation_id, Decision(True, "asked_for_human", f"Customer asked for a person: {quote(text)}")
        )

    def while_human_owned(self, session: Session, conversation_id: str, text: str) -> None:
        """A customer message while a person owns the chat: it may answer 'how shall we reach you?'."""
        from escalation import record_contact_choice

        record_contact_choice(session, conversation_id, text, self.rt.bus)
