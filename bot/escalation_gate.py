"""Adapter from the conversation loop to the escalation package (policy + ownership service)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bot.runtime import Runtime
from core.db import utcnow
from crm import ConversationStatus, Sender, store

log = logging.getLogger(__name__)
QUESTION = re.compile(r"\?|^\s*(how|what|when|where|why|which|can|could|do|does|is|are|will)\b", re.I)
CALM = -0.3  # below this compound sentiment the customer wants a person, not an article
NOT_LEVEL_ONE = {"complaint", "cancel_service", "request_human", "case_status"}

DISSATISFACTION_DATA = Path(__file__).resolve().parents[1] / "data" / "dissatisfaction" / "dialogues.jsonl"


def is_verification_turn(turn: Any) -> bool:
    """True when the bot answered this turn only with identity-verification replies."""
    kinds = turn.bot_reply_kinds
    return bool(kinds) and all(k.startswith("verif") for k in kinds)


class Gate:
    def __init__(self, rt: Runtime, settings: Any = None, clock: Callable[[], datetime] = utcnow) -> None:
        from core.embedding_cache import CachedEmbedder
        from escalation import EscalationSettings

        self.rt = rt
        self.settings = settings or EscalationSettings()
        self.clock = clock
        self.dissatisfaction: Any = None  # escalation.dissatisfaction.DissatisfactionModel, once loaded
        # the policy re-reads the last answered questions every check: their vectors are kept
        self.embedder = (rt.embedder if isinstance(rt.embedder, CachedEmbedder) or rt.embedder is None
                         else CachedEmbedder(rt.embedder))

    def load_dissatisfaction(self, model_dir: Path, progress: Callable[[str], None] | None = None,
                             data: Path = DISSATISFACTION_DATA) -> None:
        """Load (or train once, like the NLU model) the learned dissatisfaction estimate."""
        from escalation.dissatisfaction import load_or_train

        if self.rt.embedder is None or not data.exists():
            return
        self.dissatisfaction = load_or_train(data, model_dir / "dissatisfaction", self.rt.nlu.parse, self.rt.embedder,
                                             progress)

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
        """A customer message while a person owns the chat or the customer waits for one.

        It may answer "how shall we reach you?"; otherwise, while the customer waits, it is acknowledged
        (one per burst: escalation/waiting.py) and a level-one question is answered from the knowledge
        base, the conversation staying in the queue (issue 14).
        """
        from escalation import record_contact_choice
        from escalation.waiting import acknowledge

        if record_contact_choice(session, conversation_id, text, self.rt.bus):
            return
        now = self.clock()
        answer = self._answer_while_waiting(session, conversation_id, text)
        acknowledge(session, conversation_id, self.rt.bus, now, self.settings)
        if answer is not None:
            from escalation.cases import say

            conv = store.get_conversation(session, conversation_id)
            say(session, self.rt.bus, conv, Sender.BOT,
                f"While you wait (you keep your place), this may help:\n\n{answer.text}",
                **{**answer.meta, "kind": "kb_answer_waiting", "feedback": False})

    def _answer_while_waiting(self, session: Session, conversation_id: str, text: str) -> Any:
        """A knowledge-base answer to a calm level-one question from a waiting customer, else None."""
        from bot.assist import answer

        conv = store.get_conversation(session, conversation_id)
        if conv.status != ConversationStatus.QUEUED or self.rt.kb is None or not QUESTION.search(text):
            return None
        latest = store.list_messages(session, conversation_id)[-1]
        if (latest.sentiment or 0.0) < CALM or latest.intent in NOT_LEVEL_ONE:
            return None  # an upset customer or a complaint is for the person, not for an article
        try:
            reply = answer(self.rt.kb, text, conv.customer.segment)
        except Exception:  # the acknowledgement matters more than the article
            log.exception("knowledge-base answer while waiting failed for %s", conversation_id)
            return None
        return reply if reply.kind == "kb_answer" else None
